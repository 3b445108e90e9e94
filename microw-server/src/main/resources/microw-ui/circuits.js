// Circuits page: activation patching of a clean/corrupted prompt pair drawn as a heatmap (layer × position or
// layer × head; each cell's value in its text, title and data-value), path patching from sender heads into receiver
// heads (layer × sender head), and the logit lens of the clean prompt. A sweep
// the server runs as a job (a large one, or any when asked) is followed with a progress bar, then its result drawn.
'use strict';
(() => {
  const { api, el, $, say, act, loadedModels } = microw;

  /** A light background for a cell: orange where patching restored the clean metric, blue where it moved away. */
  function shade(fraction) {
    const f = Math.max(-1, Math.min(1, fraction || 0));
    if (f >= 0) {
      return microw.heat(f);
    }
    const a = -f;
    return 'rgb(' + Math.round(255 - 180 * a) + ',' + Math.round(255 - 100 * a) + ',255)';
  }

  /** Token text as a label: the tokenizer's space and newline marks made visible. */
  function shown(text) {
    return text.replace(/Ġ/g, ' ').replace(/Ċ/g, '↵').replace(/ /g, '·');
  }

  function heatmap(data) {
    const byPosition = data.columns.length > 0 && data.columns[0].startsWith('position ');
    const head = el('tr', {}, el('th', { scope: 'col' }, byPosition ? 'Layer, token' : 'Layer, head'));
    data.columns.forEach((c, j) => head.append(el('th', { scope: 'col', title: c },
      byPosition ? shown(data.tokens.clean[j].text) : c.replace(/^head /, ''))));
    const span = data.clean_metric - data.corrupt_metric;
    const body = el('tbody');
    data.values.forEach((row, i) => {
      const tr = el('tr', {}, el('th', { scope: 'row' }, data.rows[i]));
      row.forEach((v, j) => {
        const restored = span === 0 || v === null ? 0 : (v - data.corrupt_metric) / span;
        const cell = el('td', { class: 'cell', 'data-value': String(v), 'data-row': data.rows[i],
          'data-column': data.columns[j],
          title: data.rows[i] + ', ' + data.columns[j] + ': ' + (v === null ? 'n/a' : v.toFixed(4))
            + ' (restored ' + (restored * 100).toFixed(0) + '%)' }, v === null ? 'n/a' : v.toFixed(2));
        cell.style.background = shade(restored);
        tr.append(cell);
      });
      body.append(tr);
    });
    $('heatmap').replaceChildren(el('table', { id: 'heat-table' }, el('thead', {}, head), body));
    $('metrics').textContent = 'Clean ' + data.clean_metric.toFixed(3) + ', corrupted ' + data.corrupt_metric.toFixed(3)
      + ' (logit[' + shown(data.tokens.answer.text) + '] − logit[' + shown(data.tokens.wrong.text) + ']). '
      + 'Orange: the patch restores the clean value; blue: it moves away from it.';
  }

  function lens(data) {
    $('lens').replaceChildren(...data.layers.map(l => el('tr', {},
      el('td', {}, l.layer),
      el('td', { class: 'lens-top' }, l.top.map(t => shown(t.text)).join('  ')),
      el('td', { 'data-value': String(l.metric) }, l.metric === null ? '' : l.metric.toFixed(3)))));
  }

  /** The patching answer: in the response, or (202, a job) followed to its end and then read from its result. */
  async function patching(path, request) {
    const answer = await api('POST', path + '/patching', request);
    if (answer.kind !== 'patching') {
      return answer;
    }
    $('job').hidden = false;
    say('status', 'Patching job ' + answer.id + ' started.', '');
    const end = await jobs.follow(answer.id, null);
    if (!end || end.status !== 'succeeded') {
      throw new Error('Patching job ' + answer.id + ' ' + (end ? end.status : 'ended')
        + (end && end.error ? ': ' + end.error : '') + '.');
    }
    return api('GET', '/jobs/' + answer.id + '/result');
  }

  /** The receivers typed as "3.0, 3.1": [{layer: 3, head: 0}, {layer: 3, head: 1}]. */
  function receivers() {
    return $('receivers').value.split(',').map(s => s.trim()).filter(s => s).map(s => {
      const m = /^(\d+)\.(\d+)$/.exec(s);
      if (!m) {
        throw new Error('Receiver "' + s + '" is not a head: write layer.head, e.g. 3.0.');
      }
      return { layer: Number(m[1]), head: Number(m[2]) };
    });
  }

  async function run() {
    const id = $('model').value;
    if (!id) {
      throw new Error('Load a model first (Models page).');
    }
    const path = '/models/' + encodeURIComponent(id);
    const answer = $('answer').value;
    const wrong = $('wrong').value;
    const what = $('what').value;
    const request = { clean: $('clean').value, corrupt: $('corrupt').value, answer, wrong, what };
    if (what === 'path') {
      request.receivers = receivers();
      request.channel = $('channel').value;
    }
    if ($('async').checked) {
      request.async = true;
    }
    const patched = await patching(path, request);
    heatmap(patched);
    lens(await api('POST', path + '/lens', { prompt: $('clean').value, k: 5, answer, wrong }));
    say('status', 'Patched ' + patched.rows.length + ' × ' + patched.columns.length + ' cells (' + what + ').', 'ok');
  }

  document.addEventListener('DOMContentLoaded', async () => {
    const showPathInputs = () => { $('path-inputs').hidden = $('what').value !== 'path'; };
    $('what').addEventListener('change', showPathInputs);
    showPathInputs();
    $('patch-form').addEventListener('submit', e => {
      e.preventDefault();
      act($('run'), 'status', run);
    });
    try {
      await loadedModels($('model'));
    } catch (e) {
      say('status', e.message, 'error');
    }
  });
})();
