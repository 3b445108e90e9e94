// Steering playground: load an SAE from the picker, pick its latents (named ones are suggested by concept), set each
// one's edit (scale, add or clamp) with a slider, and read the baseline and steered continuations side by side; save
// the edits as a named manipulation config.
'use strict';
(() => {
  const { api, el, $, say, act, options, loadedModels, loadedSaes, number } = microw;
  let rows = 0;
  let names = new Map();

  const RANGES = { scale: [-5, 10, 0.1, 2], add: [-50, 50, 0.5, 10], clamp: [-50, 50, 0.5, 10] };

  function addEdit(latent, op, value) {
    const n = rows++;
    const latentInput = el('input', { id: 'edit-latent-' + n, type: 'number', min: '0', value: latent === undefined ? '' : latent, size: '6', class: 'edit-latent', list: 'named-latents' });
    const concept = el('span', { class: 'muted edit-name', id: 'edit-name-' + n });
    const showName = () => {
      concept.textContent = names.get(Number(latentInput.value)) || '';
    };
    latentInput.addEventListener('input', showName);
    showName();
    const opSelect = el('select', { id: 'edit-op-' + n, class: 'edit-op' });
    options(opSelect, [['scale', 'scale by'], ['add', 'add'], ['clamp', 'pin at']]);
    opSelect.value = op || 'clamp';
    const slider = el('input', { id: 'edit-value-' + n, type: 'range', class: 'edit-value' });
    const shown = el('output', { for: 'edit-value-' + n, id: 'edit-shown-' + n }, '');
    const fit = keep => {
      const [min, max, step, fallback] = RANGES[opSelect.value];
      slider.min = min;
      slider.max = max;
      slider.step = step;
      slider.value = keep === undefined ? fallback : keep;
      shown.textContent = slider.value;
    };
    opSelect.addEventListener('change', () => fit());
    slider.addEventListener('input', () => {
      shown.textContent = slider.value;
    });
    fit(value);
    const remove = el('button', { type: 'button', class: 'secondary', 'aria-label': 'Remove this latent edit' }, 'Remove');
    const row = el('div', { class: 'edit-row' },
      el('label', { for: latentInput.id }, 'Latent'), latentInput, concept,
      el('label', { for: opSelect.id }, 'Edit'), opSelect,
      el('label', { for: slider.id }, 'Value'), slider, shown, remove);
    remove.addEventListener('click', () => row.remove());
    $('edits').append(row);
  }

  function edits() {
    const list = [];
    for (const row of $('edits').children) {
      const latent = row.querySelector('.edit-latent').value.trim();
      if (latent === '') {
        continue;
      }
      list.push({ latent: Number(latent), op: row.querySelector('.edit-op').value, value: Number(row.querySelector('.edit-value').value) });
    }
    if (!list.length) {
      throw new Error('Add at least one latent edit.');
    }
    return list;
  }

  function settings() {
    const body = { prompts: [$('prompt').value], max_new_tokens: number('max-new'), seed: number('seed') };
    const t = number('temperature');
    if (t > 0) {
      body.temperature = t;
    }
    return body;
  }

  function show(result) {
    $('baseline').replaceChildren(el('span', {}, result.prompt), el('strong', {}, result.baseline.completion));
    $('steered').replaceChildren(el('span', {}, result.prompt), el('strong', {}, result.steered.completion));
  }

  async function steer() {
    const model = $('model').value;
    if (!model || !$('sae').value) {
      throw new Error('Load a model and an SAE first.');
    }
    const body = Object.assign(settings(), { sae: $('sae').value, edits: edits(), scope: $('scope').value });
    const out = await api('POST', '/models/' + encodeURIComponent(model) + '/steer', body);
    show(out.results[0]);
    const same = out.results[0].baseline.completion === out.results[0].steered.completion;
    say('status', same ? 'The edits did not change the continuation; try larger values.' : 'Done', same ? '' : 'ok');
  }

  async function suggest() {
    const s = $('sae').value;
    if (!s) {
      throw new Error('Load an SAE first.');
    }
    const out = await api('POST', '/saes/' + s + '/infer', { model: $('model').value, text: $('prompt').value, top_k: 3 });
    $('edits').replaceChildren();
    for (const l of out.top_latents) {
      addEdit(l.latent, 'clamp', Math.min(50, Math.round(2 * l.value)));
    }
    say('status', 'Suggested ' + out.top_latents.length + ' latents (pinned at twice their peak on the prompt)', 'ok');
  }

  /** The named latents of the chosen SAE, offered in the latent fields and shown beside them. */
  async function refreshNames() {
    const s = $('sae').value;
    const concepts = s ? (await api('GET', '/saes/' + s + '/concepts')).concepts : [];
    names = new Map(concepts.map(c => [c.latent, c.name]));
    $('named-latents').replaceChildren(...concepts.map(c => el('option', { value: String(c.latent) }, c.name)));
    for (const input of document.querySelectorAll('.edit-latent')) {
      input.dispatchEvent(new Event('input'));
    }
  }

  async function loadSae() {
    const s = await saePicker.load($('sae-pick'), $('model').value, '');
    await Promise.all([loadedModels($('model')), loadedSaes($('sae')), saePicker.fill($('sae-pick'))]);
    $('model').value = s.model;
    $('sae').value = s.id;
    await refreshNames();
    say('status', 'Loaded ' + s.id + (s.concepts ? ' with ' + s.concepts + ' named concepts' : ''), 'ok');
  }

  async function saveConfig() {
    const name = $('config-name').value.trim();
    await api('POST', '/manipulations', { name, sae: $('sae').value, edits: edits(), scope: $('scope').value });
    say('status', 'Saved ' + name, 'ok');
    await refreshConfigs();
  }

  async function refreshConfigs() {
    const data = await api('GET', '/manipulations');
    $('configs').replaceChildren(...data.manipulations.map(m => {
      const preview = el('button', { type: 'button', 'aria-label': 'Preview ' + m.name }, 'Preview');
      preview.addEventListener('click', () => act(preview, 'status', async () => {
        const out = await api('POST', '/manipulations/' + encodeURIComponent(m.name) + '/preview', settings());
        show(out.results[0]);
        say('status', 'Previewed ' + m.name, 'ok');
      }));
      const remove = el('button', { type: 'button', class: 'danger', 'aria-label': 'Delete ' + m.name }, 'Delete');
      remove.addEventListener('click', () => act(remove, 'status', async () => {
        await api('DELETE', '/manipulations/' + encodeURIComponent(m.name));
        await refreshConfigs();
      }));
      return el('tr', {}, el('td', {}, m.name), el('td', {}, m.sae + ' · ' + (m.layer || '')),
        el('td', {}, m.edits.map(e => e.op + ' ' + e.latent + ' ' + e.value).join(', ') + ' (' + m.scope + ')'),
        el('td', {}, preview, ' ', remove));
    }));
    if (!data.manipulations.length) {
      $('configs').append(el('tr', {}, el('td', { colspan: '4', class: 'muted' }, 'None saved.')));
    }
  }

  $('steer-form').addEventListener('submit', e => {
    e.preventDefault();
    act($('steer'), 'status', steer);
  });
  $('save-form').addEventListener('submit', e => {
    e.preventDefault();
    act($('save'), 'status', saveConfig);
  });
  $('load-form').addEventListener('submit', e => {
    e.preventDefault();
    act($('load'), 'status', loadSae);
  });
  $('sae').addEventListener('change', () => refreshNames().catch(e => say('status', e.message, 'error')));
  $('add-edit').addEventListener('click', () => addEdit());
  $('suggest').addEventListener('click', e => act(e.target, 'status', suggest));
  addEdit();
  Promise.all([loadedModels($('model')), loadedSaes($('sae')).then(refreshNames), saePicker.fill($('sae-pick')),
    refreshConfigs()]).catch(e => say('status', e.message, 'error'));
})();
