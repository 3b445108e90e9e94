// Models page: load and unload the allowed models, browse a loaded model's layer tree with aliases.
'use strict';
(() => {
  const { api, el, $, say, act, loadedModels } = microw;

  async function refresh() {
    const data = await api('GET', '/models');
    const loaded = new Map(data.loaded.map(m => [m.id, m]));
    const ids = [...new Set([...data.allowed, ...loaded.keys()])];
    $('models').replaceChildren(...ids.map(id => {
      const m = loaded.get(id);
      const button = m
        ? el('button', { type: 'button', class: 'secondary', 'data-unload': id }, 'Unload ' + id)
        : el('button', { type: 'button', 'data-load': id }, 'Load ' + id);
      button.addEventListener('click', () => act(button, 'status', async () => {
        await api('POST', '/models/' + encodeURIComponent(id) + (m ? '/unload' : '/load'));
        say('status', (m ? 'Unloaded ' : 'Loaded ') + id, 'ok');
        await refresh();
      }));
      const details = m ? m.architecture + ', ' + m.layers + ' layers, width ' + m.hidden_size + ', '
        + m.heads + ' heads, vocabulary ' + m.vocab_size + ', context ' + m.context + ', '
        + m.hook_points + ' hook points' : '';
      return el('tr', {}, el('td', {}, el('code', {}, id)), el('td', {}, m ? 'loaded' : 'not loaded'),
        el('td', {}, details), el('td', {}, button));
    }));
    await loadedModels($('tree-model'));
  }

  function matches(node, filter) {
    return !filter || node.name.toLowerCase().includes(filter) || node.aliases.some(a => a.toLowerCase().includes(filter));
  }

  function branch(node, filter) {
    const kids = node.children.map(c => branch(c, filter)).filter(Boolean);
    if (!kids.length && !matches(node, filter)) {
      return null;
    }
    const label = el('span', {}, el('code', {}, node.name), ' ', el('span', { class: 'muted' }, node.type),
      node.hookable ? el('span', { class: 'pill' }, 'hookable') : null,
      ...node.aliases.map(a => el('span', { class: 'pill', title: 'alias' }, a)));
    if (!kids.length) {
      return el('li', {}, label);
    }
    const open = filter ? true : node.index === null || node.name === 'transformer' || node.name === 'root';
    return el('li', {}, el('details', { open }, el('summary', {}, label), el('ul', {}, ...kids)));
  }

  async function showTree() {
    const id = $('tree-model').value;
    if (!id) {
      throw new Error('Load a model first.');
    }
    const data = await api('GET', '/models/' + encodeURIComponent(id) + '/layers');
    const filter = $('tree-filter').value.trim().toLowerCase();
    const root = branch(data.tree, filter);
    $('tree-summary').textContent = data.count + ' hook points in ' + data.model;
    $('tree').replaceChildren(root ? el('ul', {}, root) : el('p', { class: 'muted' }, 'No layer matches.'));
    say('status', '', '');
  }

  $('tree-show').addEventListener('click', e => act(e.target, 'status', showTree));
  $('tree-filter').addEventListener('keydown', e => {
    if (e.key === 'Enter') {
      e.preventDefault();
      act($('tree-show'), 'status', showTree);
    }
  });
  refresh().catch(e => say('status', e.message, 'error'));
})();
