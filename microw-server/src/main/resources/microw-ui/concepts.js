// Concepts page: pick an SAE to load (the concept names it ships show at once), find the texts that make each latent
// fire (or import them from an exported file), browse and search latents, read a latent's top contexts (tokens shaded
// by activation) and histogram, and name latents.
'use strict';
(() => {
  const { api, el, $, say, act, tokens, loadedModels, loadedSaes, number } = microw;
  const PAGE = 25;
  let offset = 0;
  let total = 0;
  let saes = [];

  function sae() {
    const id = $('sae').value;
    if (!id) {
      throw new Error('Load an SAE first.');
    }
    return id;
  }

  function current() {
    return saes.find(s => s.id === $('sae').value);
  }

  async function refreshSaes(choose) {
    saes = await loadedSaes($('sae'));
    if (choose) {
      $('sae').value = choose;
    }
    const s = current();
    if (s && s.top_texts) {
      await listLatents();
    } else if (s && s.concepts) {
      await listNamed();
    } else {
      $('latents').replaceChildren(el('tr', {}, el('td', { colspan: '4', class: 'muted' },
        s ? 'Find or import top texts first.' : 'No SAE loaded: choose one to load above.')));
      $('page').textContent = '';
    }
  }

  /** Before any top texts: the SAE's named latents (its concept dictionary), without statistics. */
  async function listNamed() {
    const q = $('q').value.trim();
    const data = await api('GET', '/saes/' + sae() + '/concepts' + (q ? '?q=' + encodeURIComponent(q) : ''));
    $('latents').replaceChildren(...data.concepts.map(c => el('tr', { class: 'named' }, el('td', {}, String(c.latent)),
      el('td', { title: c.description }, c.name), el('td', { class: 'muted' }, '—'), el('td', { class: 'muted' }, '—'))));
    if (!data.concepts.length) {
      $('latents').append(el('tr', {}, el('td', { colspan: '4', class: 'muted' }, 'No name matches.')));
    }
    $('page').textContent = data.concepts.length + ' named latents; find top texts for their statistics and contexts';
    $('prev').disabled = true;
    $('next').disabled = true;
  }

  async function listLatents() {
    const q = $('q').value.trim();
    const query = '?sort=' + $('sort').value + '&offset=' + offset + '&limit=' + PAGE + (q ? '&q=' + encodeURIComponent(q) : '');
    const data = await api('GET', '/saes/' + sae() + '/latents' + query);
    total = data.total;
    $('latents').replaceChildren(...data.latents.map(l => {
      const link = el('button', { type: 'button', class: 'secondary', 'data-latent': l.latent, 'aria-label': 'Show latent ' + l.latent }, String(l.latent));
      link.addEventListener('click', () => act(link, 'status', () => showLatent(l.latent)));
      return el('tr', {}, el('td', {}, link), el('td', {}, l.name || ''),
        el('td', {}, l.frequency === null ? 'unknown' : (100 * l.frequency).toFixed(3) + '%'), el('td', {}, l.max.toFixed(3)));
    }));
    if (!data.latents.length) {
      $('latents').append(el('tr', {}, el('td', { colspan: '4', class: 'muted' }, 'No latent matches.')));
    }
    $('page').textContent = total ? (offset + 1) + '–' + Math.min(offset + PAGE, total) + ' of ' + total : '';
    $('prev').disabled = offset === 0;
    $('next').disabled = offset + PAGE >= total;
  }

  function histogram(h) {
    const w = 360;
    const height = 110;
    const max = Math.max(1, ...h.counts);
    const bar = w / h.counts.length;
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('width', w);
    svg.setAttribute('height', height + 18);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'Histogram of activations from ' + h.edges[0].toFixed(2) + ' to ' + h.edges[h.edges.length - 1].toFixed(2));
    h.counts.forEach((c, i) => {
      const r = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
      const bh = Math.round(height * c / max);
      r.setAttribute('x', String(i * bar));
      r.setAttribute('y', String(height - bh));
      r.setAttribute('width', String(Math.max(1, bar - 1)));
      r.setAttribute('height', String(bh));
      r.setAttribute('fill', '#0b5cad');
      svg.append(r);
    });
    for (const [x, anchor, value] of [[0, 'start', h.edges[0]], [w, 'end', h.edges[h.edges.length - 1]]]) {
      const t = document.createElementNS('http://www.w3.org/2000/svg', 'text');
      t.setAttribute('x', String(x));
      t.setAttribute('y', String(height + 14));
      t.setAttribute('text-anchor', anchor);
      t.setAttribute('font-size', '12');
      t.textContent = value.toFixed(2);
      svg.append(t);
    }
    return svg;
  }

  async function showLatent(latent) {
    const id = sae();
    const d = await api('GET', '/saes/' + id + '/latents/' + latent);
    const name = el('input', { id: 'latent-name', value: d.name || '', size: '24' });
    const save = el('button', { type: 'button', id: 'save-name' }, 'Save name');
    save.addEventListener('click', () => act(save, 'status', async () => {
      await api('PUT', '/saes/' + id + '/concepts/' + latent, { name: name.value.trim() });
      say('status', 'Named latent ' + latent, 'ok');
      await listLatents();
    }));
    $('detail').replaceChildren(
      el('h3', {}, 'Latent ' + d.latent + (d.name ? ' · ' + d.name : '')),
      el('div', { class: 'row' }, el('label', { for: 'latent-name' }, 'Name'), name, save),
      el('p', {}, d.frequency === null
        ? 'Firing statistics unknown (imported without them); strongest context ' + d.max.toFixed(3) + '.'
        : 'Fires on ' + (100 * d.frequency).toFixed(3) + '% of tokens; mean ' + d.mean.toFixed(3) + ', max ' + d.max.toFixed(3) + '.'),
      d.histogram ? histogram(d.histogram) : el('p', { class: 'muted' }, 'No activation histogram.'),
      el('h3', {}, 'Top contexts'),
      ...d.top.map(c => el('div', { class: 'context' },
        el('p', { class: 'muted' }, (c.text_id === null ? '' : 'text ' + c.text_id + ', ') + 'token ' + c.position + ' (' + JSON.stringify(c.token) + '): ' + c.activation.toFixed(3)),
        tokens(c.tokens, c.activations, c.center))));
    say('status', '', '');
  }

  async function loadSae() {
    const s = await saePicker.load($('sae-pick'), $('model').value, $('sae-layer').value.trim());
    await Promise.all([loadedModels($('model')), saePicker.fill($('sae-pick'))]);
    offset = 0;
    await refreshSaes(s.id);
    say('status', 'Loaded ' + s.id + (s.concepts ? ' with ' + s.concepts + ' named concepts' : ''), 'ok');
  }

  async function track() {
    const r = await api('POST', '/saes/' + sae() + '/top-texts', { brown: $('brown').value, limit: number('limit'),
      top_k: number('top-k'), window: number('window') });
    say('status', r.latents_fired + ' latents fired over ' + r.tokens + ' tokens of ' + r.texts + ' texts', 'ok');
    offset = 0;
    await refreshSaes();
  }

  async function importTopTexts() {
    const body = { path: $('top-path').value.trim() };
    const stats = $('stats-path').value.trim();
    if (stats) {
      body.statistics = stats;
    }
    const r = await api('POST', '/saes/' + sae() + '/top-texts', body);
    say('status', 'Imported ' + r.file + ': ' + (r.statistics ? r.latents_fired + ' latents fired over ' + r.tokens + ' tokens'
      : r.latents_fired + ' latents with contexts, no statistics (frequency and histogram unknown)'), 'ok');
    offset = 0;
    await refreshSaes();
  }

  async function loadDictionary() {
    const r = await api('POST', '/saes/' + sae() + '/concepts', { path: $('dict-path').value.trim() });
    say('status', 'Loaded ' + r.concepts.length + ' names', 'ok');
    await refreshSaes();
  }

  function submit(form, button, action) {
    $(form).addEventListener('submit', e => {
      e.preventDefault();
      act($(button), 'status', action);
    });
  }

  submit('load-form', 'load', loadSae);
  submit('top-form', 'track', track);
  submit('import-form', 'import', importTopTexts);
  submit('dict-form', 'dict-load', loadDictionary);
  submit('search-form', 'search', async () => {
    offset = 0;
    await refreshSaes();
    say('status', '', '');
  });
  $('sae').addEventListener('change', () => {
    offset = 0;
    refreshSaes().catch(e => say('status', e.message, 'error'));
  });
  $('prev').addEventListener('click', e => act(e.target, 'status', () => {
    offset = Math.max(0, offset - PAGE);
    return listLatents();
  }));
  $('next').addEventListener('click', e => act(e.target, 'status', () => {
    offset += PAGE;
    return listLatents();
  }));
  $('delete-sae').addEventListener('click', e => act(e.target, 'status', async () => {
    await api('DELETE', '/saes/' + sae());
    await Promise.all([saePicker.fill($('sae-pick')), refreshSaes()]);
  }));
  Promise.all([loadedModels($('model')), saePicker.fill($('sae-pick')), refreshSaes()])
    .catch(e => say('status', e.message, 'error'));
})();
