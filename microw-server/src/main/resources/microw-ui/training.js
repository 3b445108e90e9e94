// Training page: start an SAE training job on a saved run, watch live curves of loss, explained variance, L0 and
// the dead-latent fraction, read the job's log, cancel it, and load the trained SAE.
'use strict';
(() => {
  const { api, el, $, say, act, options, number } = microw;
  const CURVES = [['loss', 'Loss', '#0b5cad'], ['explained_variance', 'Explained variance', '#1d6b2f'],
    ['l0', 'L0 (active latents per token)', '#8a4b00'], ['dead_fraction', 'Dead latent fraction', '#a4161a']];
  const charts = new Map();
  let runs = [];
  let logAfter = 0;
  let shown = null;

  function makeCharts() {
    for (const [key, title, stroke] of CURVES) {
      const box = el('div', { class: 'chart', id: 'chart-' + key, 'data-points': '0', role: 'img', 'aria-label': title + ' by step' });
      $('charts').append(box);
      const plot = new uPlot({ title, width: 440, height: 220, scales: { x: { time: false } },
        series: [{ label: 'step' }, { label: key, stroke, width: 2 }] }, [[], []], box);
      charts.set(key, { box, plot });
    }
  }

  function draw(metrics) {
    const steps = metrics.map(m => m.step);
    for (const [key, chart] of charts) {
      chart.plot.setData([steps, metrics.map(m => m[key] === undefined ? null : m[key])]);
      chart.box.dataset.points = String(steps.length);
    }
  }

  async function readLog(id) {
    const data = await api('GET', '/jobs/' + id + '/logs?after=' + logAfter);
    for (const line of data.lines) {
      $('log').textContent += line.time + '  ' + line.text + '\n';
      logAfter = line.n;
    }
  }

  async function show(id) {
    shown = id;
    logAfter = 0;
    $('log').textContent = '';
    const job = await api('GET', '/jobs/' + id);
    draw(job.metrics || []);
    await readLog(id);
    $('load-sae').disabled = job.status !== 'succeeded';
    if (job.status === 'queued' || job.status === 'running') {
      const end = await jobs.follow(id, async j => {
        if (shown !== id) {
          return;
        }
        const full = await api('GET', '/jobs/' + id);
        draw(full.metrics || []);
        await readLog(id);
      });
      if (shown === id) {
        $('load-sae').disabled = end.status !== 'succeeded';
        await readLog(id);
        say('status', 'Job ' + id + ' ' + end.status + (end.error ? ': ' + end.error : ''), end.status === 'succeeded' ? 'ok' : 'error');
      }
    } else {
      $('progress').value = job.progress.fraction || 0;
      $('job-state').textContent = job.id + ': ' + job.status + (job.error ? ' · ' + job.error : '');
      $('job-state').dataset.status = job.status;
    }
  }

  async function refreshJobs(select) {
    const data = await api('GET', '/jobs');
    const training = data.jobs.filter(j => j.kind === 'training');
    options($('job'), training.map(j => [j.id, j.id + ' · ' + j.status + ' · ' + j.params.run + ' ' + j.params.layer]),
      training.length ? null : '(no training jobs yet)');
    if (select) {
      $('job').value = select;
    }
    return training;
  }

  async function refreshRuns() {
    const data = await api('GET', '/runs');
    runs = data.runs.filter(r => r.status === 'complete');
    options($('run'), runs.map(r => [r.run, r.run]), runs.length ? null : '(no complete run: see Activations)');
    layersOfRun();
  }

  // The trainable SAE architectures, from the server's registry; k is asked only of those that take it.
  let architectures = [];
  async function refreshArchitectures() {
    const data = await api('GET', '/sae-architectures');
    architectures = data.architectures.filter(a => a.trainable);
    options($('architecture'), architectures.map(a => [a.name, a.name]));
    $('architecture').value = data.training_defaults.architecture;
    architectureChanged();
  }

  function architectureChanged() {
    const a = architectures.find(x => x.name === $('architecture').value);
    $('k').disabled = Boolean(a) && !a.uses_k;
  }

  function layersOfRun() {
    const run = runs.find(r => r.run === $('run').value);
    options($('layer'), ((run && run.layers) || []).map(l => [l, l]));
  }

  async function start() {
    const body = { run: $('run').value, layer: $('layer').value, architecture: $('architecture').value || undefined,
      d_sae: number('d-sae'), k: $('k').disabled ? undefined : number('k'), epochs: number('epochs'), batch_size: number('batch'),
      lr: number('lr'), metrics_every: number('metrics-every') };
    const job = await api('POST', '/jobs/training', body);
    say('status', 'Started ' + job.id, 'ok');
    await refreshJobs(job.id);
    await show(job.id);
  }

  async function loadSae() {
    const job = await api('GET', '/jobs/' + $('job').value);
    const run = await api('GET', '/runs/' + encodeURIComponent(job.params.run));
    const model = job.params.model || (run.model && run.model.id);
    const sae = await api('POST', '/saes/load', { path: job.artifact, model, layer: job.params.layer });
    say('status', 'Loaded ' + sae.id + ' (' + sae.d_sae + ' latents on ' + sae.layer + '); see Concepts and Steering', 'ok');
  }

  makeCharts();
  $('train-form').addEventListener('submit', e => {
    e.preventDefault();
    act($('start'), 'status', start);
  });
  $('run').addEventListener('change', layersOfRun);
  $('architecture').addEventListener('change', architectureChanged);
  $('job').addEventListener('change', () => show($('job').value).catch(e => say('status', e.message, 'error')));
  $('load-sae').addEventListener('click', e => act(e.target, 'status', loadSae));
  (async () => {
    await refreshArchitectures();
    await refreshRuns();
    const training = await refreshJobs();
    if (training.length) {
      await show(training[0].id);
    }
  })().catch(e => say('status', e.message, 'error'));
})();
