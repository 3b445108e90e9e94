// microw web UI: what every page shares. API calls (with the API key kept in this browser), the navigation bar,
// status messages, small DOM helpers, token rendering with a heat colour, and server-sent events read over fetch
// (EventSource cannot send the API key header).
'use strict';

const microw = (() => {
  const KEY_STORAGE = 'microw.apiKey';
  const PAGES = [
    ['index.html', 'Overview'], ['models.html', 'Models'], ['inference.html', 'Inference'],
    ['activations.html', 'Activations'], ['training.html', 'Training'], ['concepts.html', 'Concepts'],
    ['steering.html', 'Steering'], ['circuits.html', 'Circuits'],
  ];

  function apiKey() {
    return localStorage.getItem(KEY_STORAGE) || '';
  }

  function headers(extra) {
    const h = Object.assign({}, extra);
    const key = apiKey();
    if (key) {
      h['X-API-Key'] = key;
    }
    return h;
  }

  /**
   * Calls the API; resolves to the parsed JSON, rejects with the server's error message. Every request that changes
   * state says JSON, with a body or without: the server refuses those that do not (415), as no other site's form or
   * no-cors fetch can send that type.
   */
  async function api(method, path, body) {
    const changes = method !== 'GET' && method !== 'HEAD';
    const init = { method, headers: headers(changes ? { 'Content-Type': 'application/json' } : {}) };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
    }
    const response = await fetch('/api' + path, init);
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = { error: text };
      }
    }
    if (!response.ok) {
      const err = new Error((data && data.error) || ('HTTP ' + response.status));
      err.status = response.status;
      throw err;
    }
    return data;
  }

  /** Reads a server-sent event stream; calls onEvent(name, data) per event until the stream ends. */
  async function events(path, onEvent) {
    const response = await fetch('/api' + path, { headers: headers({ Accept: 'text/event-stream' }) });
    if (!response.ok) {
      throw new Error('event stream: HTTP ' + response.status);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        return;
      }
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let name = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) {
            name = line.slice(6).trim();
          } else if (line.startsWith('data:')) {
            data.push(line.slice(5).trim());
          }
        }
        if (data.length) {
          onEvent(name, JSON.parse(data.join('\n')));
        }
      }
    }
  }

  /** Creates an element: el('td', {class: 'x'}, 'text', child...). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) {
        continue;
      }
      if (k.startsWith('on')) {
        node.addEventListener(k.slice(2), v);
      } else {
        node.setAttribute(k, v === true ? '' : v);
      }
    }
    for (const c of children) {
      if (c !== undefined && c !== null) {
        node.append(c instanceof Node ? c : String(c));
      }
    }
    return node;
  }

  function $(id) {
    return document.getElementById(id);
  }

  /** Shows a message in a status region (role=status); kind is 'error', 'ok' or ''. */
  function say(id, text, kind) {
    const node = $(id);
    node.textContent = text;
    node.className = 'msg' + (kind ? ' ' + kind : '');
  }

  /** Runs an async action from a button: disables it meanwhile and reports errors in the status region. */
  async function act(button, statusId, action) {
    button.disabled = true;
    say(statusId, 'Working…', '');
    try {
      await action();
    } catch (e) {
      say(statusId, e.message, 'error');
    } finally {
      button.disabled = false;
    }
  }

  /** Background colour for value/max in [0, 1]: white to orange, dark text stays readable. */
  function heat(fraction) {
    const f = Math.max(0, Math.min(1, fraction || 0));
    const g = Math.round(255 - 120 * f);
    const b = Math.round(255 - 215 * f);
    return 'rgb(255,' + g + ',' + b + ')';
  }

  /** Token chips, each shaded by its value (values may be omitted); centre marks one chip. */
  function tokens(texts, values, centre) {
    const box = el('div', { class: 'tokens' });
    const max = values ? Math.max(1e-9, ...values.map(Math.abs)) : 1;
    texts.forEach((t, i) => {
      const v = values ? values[i] : undefined;
      const chip = el('span', { class: 'tok' + (i === centre ? ' center' : ''),
        title: v === undefined ? t : t + ': ' + v.toFixed(3) }, t.replace(/Ġ/g, ' ').replace(/Ċ/g, '↵'));
      if (v !== undefined) {
        chip.style.background = heat(Math.abs(v) / max);
        chip.dataset.value = String(v);
      }
      box.append(chip);
    });
    return box;
  }

  /** Fills a select with options [value, label]; keeps the current choice when it still exists. */
  function options(select, items, placeholder) {
    const keep = select.value;
    select.replaceChildren();
    if (placeholder) {
      select.append(el('option', { value: '' }, placeholder));
    }
    for (const [value, label] of items) {
      select.append(el('option', { value }, label));
    }
    if (items.some(([value]) => value === keep)) {
      select.value = keep;
    }
  }

  /** The ids of the loaded models, as select options. */
  async function loadedModels(select) {
    const data = await api('GET', '/models');
    options(select, data.loaded.map(m => [m.id, m.id]), data.loaded.length ? null : '(no model loaded: see Models)');
    return data;
  }

  /** The loaded SAEs, as select options. */
  async function loadedSaes(select) {
    const data = await api('GET', '/saes');
    options(select, data.saes.map(s => [s.id, s.id + ' · ' + s.layer + ' · ' + s.architecture + ' ' + s.d_sae]),
      data.saes.length ? null : '(no SAE loaded)');
    return data.saes;
  }

  function renderHeader() {
    const here = location.pathname.split('/').pop() || 'index.html';
    const list = el('ul');
    for (const [href, label] of PAGES) {
      list.append(el('li', {}, el('a', { href, 'aria-current': href === here ? 'page' : null }, label)));
    }
    const key = el('input', { id: 'api-key', type: 'password', size: '14', autocomplete: 'off',
      value: apiKey(), onchange: e => localStorage.setItem(KEY_STORAGE, e.target.value.trim()) });
    const header = el('header', {},
      el('a', { class: 'skip', href: '#main' }, 'Skip to content'),
      el('a', { class: 'brand', href: 'index.html' }, 'microw'),
      el('nav', { 'aria-label': 'Pages' }, list),
      el('div', { class: 'key' }, el('label', { for: 'api-key', class: 'inline' }, 'API key'), key));
    document.body.prepend(header);
  }

  function number(id) {
    const v = $(id).value.trim();
    return v === '' ? undefined : Number(v);
  }

  document.addEventListener('DOMContentLoaded', renderHeader);

  return { api, events, el, $, say, act, heat, tokens, options, loadedModels, loadedSaes, number };
})();
