// The SAE picker of the concepts and steering pages: lists what the server can load (GET /api/saes/available: the
// embedded release, SAEs trained by jobs, SAE folders in the file roots, releases already downloaded) and loads the
// chosen one, loading the model it reads first when the server allows that model and it is not loaded yet.
'use strict';

const saePicker = (() => {
  const { api, el } = microw;
  const GROUPS = [['release', 'Shipped with microw'], ['job', 'Trained by jobs'], ['folder', 'Folders in the file roots'],
    ['cached', 'Downloaded releases']];
  let offered = [];

  /** Fills the select with the loadable SAEs, grouped by kind, the first (the embedded release) chosen. */
  async function fill(select) {
    offered = (await api('GET', '/saes/available')).saes;
    select.replaceChildren();
    for (const [kind, title] of GROUPS) {
      const group = el('optgroup', { label: title });
      offered.forEach((s, i) => {
        if (s.kind === kind) {
          group.append(el('option', { value: String(i) }, s.label + (s.loaded ? ' · loaded as ' + s.loaded : '')));
        }
      });
      if (group.children.length) {
        select.append(group);
      }
    }
    if (!offered.length) {
      select.append(el('option', { value: '' }, '(nothing to load: train an SAE on the Training page)'));
    }
    return offered;
  }

  /** The model to load the SAE on: the one it names when that is loaded or may be loaded (loading it), else fallback. */
  async function modelFor(entry, fallback) {
    const models = await api('GET', '/models');
    if (entry.model && models.loaded.some(m => m.id === entry.model)) {
      return entry.model;
    }
    if (entry.model && models.allowed.includes(entry.model)) {
      await api('POST', '/models/' + encodeURIComponent(entry.model.replace('/', '--')) + '/load');
      return entry.model;
    }
    if (!fallback) {
      throw new Error('Load the model this SAE reads first (see Models).');
    }
    return fallback;
  }

  /**
   * Loads the SAE chosen in the select (or finds it loaded already) and resolves to the loaded SAE's JSON
   * (GET /api/saes/{id}); fallbackModel is used when the SAE names no model the server may load, layer may be empty.
   */
  async function load(select, fallbackModel, layer) {
    const entry = offered[Number(select.value)];
    if (!select.value || !entry) {
      throw new Error('Choose an SAE to load.');
    }
    if (entry.loaded) {
      return api('GET', '/saes/' + entry.loaded);
    }
    const body = { model: await modelFor(entry, fallbackModel) };
    if (entry.path) {
      body.path = entry.path;
    } else {
      body.release = entry.release;
      body.sae_id = entry.sae_id;
    }
    if (layer) {
      body.layer = layer;
    }
    return api('POST', '/saes/load', body);
  }

  return { fill, load };
})();
