// Activations page: start a job that saves layer outputs into a store run, follow its progress, list and delete runs.
'use strict';
(() => {
  const { api, el, $, say, act, loadedModels, number } = microw;

  function request() {
    const body = {
      model: $('model').value,
      layers: $('layers').value.split(',').map(s => s.trim()).filter(Boolean),
      batch_size: number('batch'),
    };
    const run = $('run').value.trim();
    if (run) {
      body.run = run;
    }
    const limit = number('limit');
    switch ($('source').value) {
      case 'brown':
        body.brown = $('brown').value;
        body.limit = limit;
        break;
      case 'texts':
        body.texts = $('texts').value.split('\n').map(s => s.trim()).filter(Boolean);
        break;
      case 'file':
        body.dataset = { path: $('dataset').value.trim(), text_field: $('text-field').value.trim() };
        body.limit = limit;
        break;
      default:
        body.dataset = { hub: $('dataset').value.trim(), split: $('split').value.trim(), text_field: $('text-field').value.trim() };
        body.limit = limit;
    }
    return body;
  }

  async function start() {
    const job = await api('POST', '/jobs/activations', request());
    say('status', 'Started ' + job.id + ' writing run ' + job.params.run, 'ok');
    const end = await jobs.follow(job.id, null);
    say('status', 'Job ' + end.id + ' ' + end.status + (end.error ? ': ' + end.error : ''), end.status === 'succeeded' ? 'ok' : 'error');
    await refreshRuns();
  }

  async function refreshRuns() {
    const data = await api('GET', '/runs');
    $('runs').replaceChildren(...data.runs.map(r => {
      const remove = el('button', { type: 'button', class: 'danger', 'aria-label': 'Delete run ' + r.run }, 'Delete');
      remove.addEventListener('click', () => act(remove, 'status', async () => {
        if (!confirm('Delete run ' + r.run + ' and all its activations?')) {
          return;
        }
        await api('DELETE', '/runs/' + encodeURIComponent(r.run));
        say('status', 'Deleted ' + r.run, 'ok');
        await refreshRuns();
      }));
      return el('tr', {}, el('td', {}, el('code', {}, r.run)), el('td', {}, r.status),
        el('td', {}, typeof r.model === 'string' ? r.model : r.model ? JSON.stringify(r.model) : ''), el('td', {}, (r.layers || []).join(', ')),
        el('td', {}, r.batches), el('td', {}, remove));
    }));
    if (!data.runs.length) {
      $('runs').append(el('tr', {}, el('td', { colspan: '6', class: 'muted' }, 'No runs yet.')));
    }
  }

  $('save-form').addEventListener('submit', e => {
    e.preventDefault();
    act($('start'), 'status', start);
  });
  Promise.all([loadedModels($('model')), refreshRuns()]).catch(e => say('status', e.message, 'error'));
})();
