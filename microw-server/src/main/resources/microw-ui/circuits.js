// Circuits page: activation patching of a clean/corrupted prompt pair drawn as a heatmap (layer × position or
// layer × head; each cell's value in its text, title and data-value), path patching from sender heads into receiver
// heads (layer × sender head), attribution patching's estimate drawn beside the exact heatmap with the Pearson
// correlation of the two (computed by the server), and the logit lens of the clean prompt. A sweep the server runs as
// a job (a large one, or any when asked) is followed with a progress bar, then its result drawn.
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

  /** Draws a table of patching values into the element `box` as the table `tableId`. */
  function heatmap(data, box, tableId) {
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
    $(box).replaceChildren(el('table', { id: tableId }, el('thead', {}, head), body));
  }

  /** The metrics line under the heading. */
  function metrics(data) {
    $('metrics').textContent = 'Clean ' + data.clean_metric.toFixed(3) + ', corrupted ' + data.corrupt_metric.toFixed(3)
      + ' (logit[' + shown(data.tokens.answer.text) + '] − logit[' + shown(data.tokens.wrong.text) + ']). '
      + 'Orange: the patch restores the clean value; blue: it moves away from it.';
  }

  /** Draws an exact patching answer alone. */
  function exact(data) {
    heatmap(data, 'heatmap', 'heat-table');
    metrics(data);
    $('attr-box').hidden = true;
    $('correlation').hidden = true;
  }

  /** Draws an attribution answer with its comparison: the exact heatmap, the estimate beside it, the correlation. */
  function compared(data) {
    heatmap(Object.assign({ tokens: data.tokens }, data.exact), 'heatmap', 'heat-table');
    heatmap(data, 'attr-heatmap', 'attr-table');
    metrics(data);
    $('attr-box').hidden = false;
    const r = data.correlation;
    const line = $('correlation');
    line.dataset.value = String(r);
    line.textContent = 'Pearson correlation of the estimate with exact patching over all '
      + data.rows.length * data.columns.length + ' cells: '
      + (r === null ? 'undefined (one of the heatmaps is constant)' : 'r = ' + r.toFixed(3));
    line.hidden = false;
  }

  function lens(data) {
    $('lens').replaceChildren(...data.layers.map(l => el('tr', {},
      el('td', {}, l.layer),
      el('td', { class: 'lens-top' }, l.top.map(t => shown(t.text)).join('  ')),
      el('td', { 'data-value': String(l.metric) }, l.metric === null ? '' : l.metric.toFixed(3)))));
  }

  /**
   * A sweep's answer (`route` is patching or attribution, and so is the kind of its job): in the response, or (202, a
   * job) followed to its end and then read from its result.
   */
  async function sweep(path, route, request) {
    const answer = await api('POST', path + '/' + route, request);
    if (answer.kind !== route) {
      return answer;
    }
    $('job').hidden = false;
    say('status', 'Job ' + answer.id + ' (' + route + ') started.', '');
    const end = await jobs.follow(answer.id, null);
    if (!end || end.status !== 'succeeded') {
      throw new Error('Job ' + answer.id + ' (' + route + ') ' + (end ? end.status : 'ended')
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
    const attribution = $('method').value === 'attribution';
    let answered;
    if (attribution) {
      request.compare = true;
      answered = await sweep(path, 'attribution', request);
      compared(answered);
    } else {
      answered = await sweep(path, 'patching', request);
      exact(answered);
    }
    lens(await api('POST', path + '/lens', { prompt: $('clean').value, k: 5, answer, wrong }));
    const cells = answered.rows.length + ' × ' + answered.columns.length + ' cells (' + what + ')';
    say('status', attribution ? 'Estimated and patched ' + cells + '.' : 'Patched ' + cells + '.', 'ok');
  }

  /** Offers only the sites the method measures: attribution patching estimates those marked data-attribution. */
  function fitMethod() {
    const attribution = $('method').value === 'attribution';
    for (const option of $('what').options) {
      option.disabled = attribution && !option.hasAttribute('data-attribution');
    }
    if ($('what').selectedOptions[0].disabled) {
      $('what').value = 'resid-pre';
    }
    $('path-inputs').hidden = $('what').value !== 'path';
  }

  document.addEventListener('DOMContentLoaded', async () => {
    $('what').addEventListener('change', fitMethod);
    $('method').addEventListener('change', fitMethod);
    fitMethod();
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
