// Inference page: generate from a prompt with the generation settings; shade the prompt's tokens by a layer's
// output norm, by one SAE latent or by their saliency for the next token; list the most likely next tokens with their
// probabilities.
'use strict';
(() => {
  const { api, el, $, say, act, tokens, options, loadedModels, loadedSaes, number } = microw;

  function modelPath(suffix) {
    const id = $('model').value;
    if (!id) {
      throw new Error('Load a model first (Models page).');
    }
    return '/models/' + encodeURIComponent(id) + suffix;
  }

  let layerNames = [];
  let hookTypes = [];
  let hookRows = 0;

  /** A row choosing a controller (from GET /api/hooks) for a layer, with its factor when it has one. */
  function addHook() {
    const n = hookRows++;
    const type = el('select', { id: 'hook-type-' + n, class: 'hook-type' });
    options(type, hookTypes.filter(t => t.kind === 'controller').map(t => [t.type, t.type + ': ' + t.description]));
    const layer = el('select', { id: 'hook-layer-' + n, class: 'hook-layer' });
    options(layer, layerNames.map(l => [l, l]));
    const factor = el('input', { id: 'hook-factor-' + n, class: 'hook-factor', type: 'number', step: 'any', value: '2' });
    const remove = el('button', { type: 'button', class: 'secondary', 'aria-label': 'Remove this hook' }, 'Remove');
    const row = el('div', { class: 'edit-row' }, el('label', { for: type.id }, 'Hook'), type,
      el('label', { for: layer.id }, 'Layer'), layer, el('label', { for: factor.id }, 'Factor'), factor, remove);
    const fit = () => {
      factor.disabled = type.value !== 'scale';
    };
    type.addEventListener('change', fit);
    remove.addEventListener('click', () => row.remove());
    fit();
    $('hooks').append(row);
  }

  function hooks() {
    return [...$('hooks').children].map(row => {
      const h = { type: row.querySelector('.hook-type').value, layer: row.querySelector('.hook-layer').value };
      if (h.type === 'scale') {
        h.factor = Number(row.querySelector('.hook-factor').value);
      }
      return h;
    });
  }

  async function generate() {
    const body = { prompts: [$('prompt').value], max_new_tokens: number('max-new'), seed: number('seed'),
      repetition_penalty: number('penalty'), hooks: hooks() };
    const stop = $('stop').value.split(',').map(s => s.trim()).filter(Boolean);
    if (stop.length) {
      body.stop = stop;
    }
    const temperature = number('temperature');
    if (temperature > 0) {
      body.temperature = temperature;
      body.top_k = number('top-k');
      body.top_p = number('top-p');
    }
    const out = await api('POST', modelPath('/generate'), body);
    const r = out.results[0];
    $('generated').replaceChildren(el('span', {}, r.prompt), el('strong', {}, r.completion));
    $('generated-tokens').replaceChildren(tokens(r.tokens.map(t => t.text)));
    const applied = out.hooks.map(h => h.type + ' ' + h.layer + (h.factor === undefined ? '' : ' × ' + h.factor));
    say('status', 'Generated ' + r.tokens.length + ' tokens' + (out.sampled ? ' (sampled)' : ' (greedy)')
      + (applied.length ? ' with ' + applied.join(', ') : ''), 'ok');
  }

  async function layerHeat() {
    const layer = $('heat-layer').value;
    const out = await api('POST', modelPath('/infer'),
      { texts: [$('prompt').value], top_k: 10, hooks: [{ type: 'capture', layer }] });
    const r = out.results[0];
    const capture = r.hooks.find(h => h.type === 'capture');
    $('heatmap').replaceChildren(el('p', { class: 'muted' }, 'Norm of ' + layer + ' at each token'),
      tokens(r.tokens.map(t => t.text), capture.token_norms));
    return r;
  }

  async function saeHeat() {
    const sae = $('heat-sae').value;
    if (!sae) {
      throw new Error('Load an SAE first (Concepts page).');
    }
    const text = $('prompt').value;
    let latent = number('heat-latent');
    if (latent === undefined) {
      const probe = await api('POST', '/saes/' + sae + '/infer', { model: $('model').value, text, top_k: 1 });
      if (!probe.top_latents.length) {
        throw new Error('No latent of ' + sae + ' fires on this prompt.');
      }
      latent = probe.top_latents[0].latent;
    }
    const out = await api('POST', '/saes/' + sae + '/infer', { model: $('model').value, text, top_k: 5, latents: [latent] });
    const values = out.tokens.map(t => t.values[String(latent)]);
    $('heatmap').replaceChildren(el('p', { class: 'muted' }, 'Latent ' + latent + ' of ' + sae + ' at each token'),
      tokens(out.tokens.map(t => t.text), values));
    const next = await api('POST', modelPath('/infer'), { texts: [text], top_k: 10 });
    return next.results[0];
  }

  /** Gradient × input or integrated gradients of log p(target), or of a logit difference, per prompt token. */
  async function saliencyHeat() {
    const text = $('prompt').value;
    const body = { prompt: text, method: $('heat-method').value };
    const answer = $('heat-answer').value;
    const wrong = $('heat-wrong').value;
    if (answer) {
      body.answer = answer;
    }
    if (wrong) {
      body.wrong = wrong;
    }
    if (body.method === 'ig') {
      body.steps = number('heat-steps');
    }
    const out = await api('POST', modelPath('/saliency'), body);
    const target = JSON.stringify(out.answer.text);
    const of = out.metric === 'logit_diff' ? 'logit[' + target + '] − logit[' + JSON.stringify(out.wrong.text) + ']'
      : 'log p(' + target + ')';
    const how = out.method === 'ig' ? 'Integrated gradients (' + out.steps + ' steps, convergence delta '
      + out.convergence_delta.toFixed(4) + ')' : 'Gradient × input';
    $('heatmap').replaceChildren(el('p', { id: 'saliency-caption', class: 'muted' }, how + ' of ' + of + ' = '
      + out.metric_value.toFixed(3) + ' at each token; shade by magnitude, the sign is in each token\'s title'),
      tokens(out.tokens.map(t => t.text), out.values));
    const next = await api('POST', modelPath('/infer'), { texts: [text], top_k: 10 });
    return next.results[0];
  }

  async function heatmap() {
    const source = $('heat-source').value;
    const r = source === 'sae' ? await saeHeat() : source === 'saliency' ? await saliencyHeat() : await layerHeat();
    $('next').replaceChildren(...r.next_tokens.map(t => el('tr', {}, el('td', {}, el('code', {}, JSON.stringify(t.token))),
      el('td', {}, (100 * t.probability).toFixed(2) + '%'), el('td', {}, t.logit.toFixed(3)))));
    say('status', '', '');
  }

  async function layersOf() {
    const id = $('model').value;
    if (!id) {
      return;
    }
    const data = await api('GET', '/models/' + encodeURIComponent(id) + '/layers');
    const names = [];
    (function walk(n) {
      if (n.hookable && n.index !== null) {
        names.push(n.name);
      }
      n.children.forEach(walk);
    })(data.tree);
    layerNames = names;
    const before = $('heat-layer').value;
    options($('heat-layer'), names.map(n => [n, n]));
    if (!names.includes(before) && names.includes('transformer.h.1')) {
      $('heat-layer').value = 'transformer.h.1';
    }
  }

  $('gen-form').addEventListener('submit', e => {
    e.preventDefault();
    act($('generate'), 'status', generate);
  });
  $('heat-form').addEventListener('submit', e => {
    e.preventDefault();
    act($('heat-run'), 'status', heatmap);
  });
  $('add-hook').addEventListener('click', addHook);
  $('heat-source').addEventListener('change', () => {
    $('saliency-inputs').hidden = $('heat-source').value !== 'saliency';
  });
  $('model').addEventListener('change', () => layersOf().catch(e => say('status', e.message, 'error')));
  (async () => {
    await loadedModels($('model'));
    hookTypes = (await api('GET', '/hooks')).hooks;
    await Promise.all([layersOf(), loadedSaes($('heat-sae'))]);
  })().catch(e => say('status', e.message, 'error'));
})();
