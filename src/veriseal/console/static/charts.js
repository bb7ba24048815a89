/*
 * Veriseal console: ECharts charts drawn from JSON data blocks (CSP script-src 'self':
 * a <script type="application/json"> is data, never executed).
 *
 *   <div class="chart" data-chart="line|bar|pie|map" data-source="ID"
 *        data-label="Scans per day"></div>
 *   <script type="application/json" id="ID">{...}</script>
 *
 * Needs vendor/echarts.min.js (global echarts) loaded BEFORE this file, both as
 * <script src=... defer>. The page also shows the same numbers in a table: the chart is
 * one image for assistive technology (role="img", aria-label = data-label, else the
 * block's "title").
 *
 * Data blocks:
 *   line, bar: {"x": ["2026-01-01", ...],
 *               "series": [{"name": "Scans", "data": [3, 5, ...]}, ...],
 *               "stack": false}                         (bar: stack the series)
 *   pie:       {"data": [{"name": "Genuine", "value": 120}, ...]}
 *   map:       {"name": "Scans",
 *               "data": [{"code": "440000", "value": 12}, ...]}
 *              code: GB/T 2260 ("440000") or ISO 3166-2 ("CN-GD"); the map is the
 *              provinces from /console/geo/cn-provinces.json (data-geo="URL" overrides),
 *              registered once as "provinces"; names, tooltips and the visualMap in the
 *              page's language (<html lang> "zh..." -> Chinese, else English); provinces
 *              without a value stay grey.
 *   Any block may have "title" (the accessible name when the div has no data-label).
 *
 * Charts follow their container's size (window resize and ResizeObserver). Each div gets
 * data-chart-ready once drawn, or data-chart-error="reason" (the table still tells all).
 * window.VerisealCharts.render(root) draws charts added later (htmx content is drawn on
 * its own: htmx:load / htmx:after:settle).
 */
(function () {
  'use strict';

  var zh = /^zh/i.test(document.documentElement.lang || '');
  var locale = zh ? 'zh-CN' : 'en';
  var numbers = new Intl.NumberFormat(locale);
  var GEO_URL = '/console/geo/cn-provinces.json';
  var MAP = 'provinces';
  var HEIGHT = { map: 420, pie: 300, line: 300, bar: 300 }; // px, when the page sets none
  var RAMP = ['#deebf7', '#9ecae1', '#3182bd', '#08519c']; // sequential, light to dark
  var NO_DATA = '#eeeeee';
  var charts = new Map(); // element -> echarts instance
  var geo = null; // Promise of {byCode: {code|iso: feature properties}}

  function t(en, cn) { return zh ? cn : en; }

  function fail(el, reason) {
    el.setAttribute('data-chart-error', reason);
    if (window.console) console.warn('chart', el, reason);
  }

  function block(el) {
    var source = document.getElementById(el.getAttribute('data-source') || '');
    if (!source || source.type !== 'application/json') return null;
    try {
      return JSON.parse(source.textContent);
    } catch (err) {
      return null;
    }
  }

  function formatNumber(value) {
    return typeof value === 'number' ? numbers.format(value) : String(value);
  }

  function loadGeo(url) {
    if (!geo) {
      geo = fetch(url, { credentials: 'same-origin' }).then(function (response) {
        if (!response.ok) throw new Error('map shapes: HTTP ' + response.status);
        return response.json();
      }).then(function (json) {
        var byCode = {};
        json.features.forEach(function (f) {
          byCode[f.properties.code] = f.properties;
          byCode[f.properties.iso] = f.properties;
        });
        echarts.registerMap(MAP, json);
        return { byCode: byCode };
      });
      geo.catch(function () { geo = null; }); // a later chart may try again
    }
    return geo;
  }

  function axisOption(kind, data) {
    var series = (data.series || []).map(function (s) {
      var out = { type: kind, name: s.name, data: s.data, emphasis: { focus: 'series' } };
      if (kind === 'bar' && data.stack) out.stack = 'total';
      if (kind === 'line') out.showSymbol = (s.data || []).length <= 60;
      return out;
    });
    return {
      tooltip: { trigger: 'axis', valueFormatter: formatNumber },
      legend: series.length > 1 ? { top: 0, type: 'scroll' } : undefined,
      grid: { left: 8, right: 16, top: series.length > 1 ? 36 : 16, bottom: 8, containLabel: true },
      xAxis: {
        type: 'category',
        data: data.x || [],
        boundaryGap: kind === 'bar',
        // a line starts and ends at the plot's edges: keep the end labels inside it
        axisLabel: kind === 'line' ? { alignMinLabel: 'left', alignMaxLabel: 'right' } : {}
      },
      yAxis: { type: 'value', minInterval: 1, axisLabel: { formatter: formatNumber } },
      series: series
    };
  }

  function pieOption(data) {
    var items = data.data || (data.series && data.series[0] && data.series[0].data) || [];
    return {
      tooltip: { trigger: 'item', valueFormatter: formatNumber },
      legend: { bottom: 0, type: 'scroll' },
      series: [{
        type: 'pie',
        name: data.name || data.title || '',
        radius: ['40%', '68%'],
        center: ['50%', '45%'],
        data: items,
        label: { formatter: '{b}: {d}%' }
      }]
    };
  }

  function mapOption(data, shapes) {
    var nameKey = zh ? 'name_zh' : 'name_en';
    var items = [];
    var max = 0;
    (data.data || []).forEach(function (item) {
      var props = shapes.byCode[item.code] || shapes.byCode[item.iso];
      if (!props) return; // not a province of the map: the table still lists it
      items.push({ name: props[nameKey], value: item.value });
      if (typeof item.value === 'number' && item.value > max) max = item.value;
    });
    return {
      tooltip: {
        trigger: 'item',
        formatter: function (p) {
          var value = typeof p.value === 'number' && !isNaN(p.value)
            ? formatNumber(p.value) : t('no data', '无数据');
          return p.name + ': ' + value;
        }
      },
      visualMap: {
        type: 'continuous',
        min: 0,
        max: Math.max(max, 1),
        left: 8,
        bottom: 8,
        text: [t('High', '高'), t('Low', '低')],
        calculable: true,
        itemHeight: 100,
        inRange: { color: RAMP },
        formatter: function (v) { return formatNumber(Math.round(v)); }
      },
      series: [{
        type: 'map',
        map: MAP,
        name: data.name || data.title || '',
        nameProperty: nameKey,
        roam: false,
        selectedMode: false,
        layoutCenter: ['50%', '50%'],
        layoutSize: '100%',
        aspectScale: 0.85,
        itemStyle: { areaColor: NO_DATA, borderColor: '#ffffff', borderWidth: 0.5 },
        emphasis: { label: { show: true }, itemStyle: { areaColor: '#fdae6b' } },
        data: items
      }]
    };
  }

  // A container without area (hidden, collapsed) keeps its last drawing: ECharts' map
  // cannot lay out in an empty box (its view transform would not invert).
  function fit(el, chart) {
    if (el.clientWidth > 0 && el.clientHeight > 0) chart.resize();
  }

  function draw(el, option) {
    var chart = echarts.init(el, null, { locale: zh ? 'ZH' : 'EN' });
    chart.on('finished', function () { el.setAttribute('data-chart-ready', ''); });
    chart.setOption(option);
    charts.set(el, chart);
    if (window.ResizeObserver) new ResizeObserver(function () { fit(el, chart); }).observe(el);
  }

  function renderOne(el) {
    if (charts.has(el) || el.hasAttribute('data-chart-pending')) return;
    var kind = el.getAttribute('data-chart');
    var data = block(el);
    if (!data) return fail(el, 'no data block');
    el.setAttribute('role', 'img');
    var label = el.getAttribute('data-label') || data.title;
    if (label) el.setAttribute('aria-label', label);
    if (typeof echarts === 'undefined') return fail(el, 'echarts did not load');
    if (!el.clientHeight) el.style.height = (HEIGHT[kind] || 300) + 'px';
    if (kind === 'line' || kind === 'bar') return draw(el, axisOption(kind, data));
    if (kind === 'pie') return draw(el, pieOption(data));
    if (kind !== 'map') return fail(el, 'unknown chart type ' + kind);
    el.setAttribute('data-chart-pending', '');
    loadGeo(el.getAttribute('data-geo') || GEO_URL).then(function (shapes) {
      el.removeAttribute('data-chart-pending');
      draw(el, mapOption(data, shapes));
    }, function (err) {
      el.removeAttribute('data-chart-pending');
      fail(el, String(err && err.message || err));
    });
  }

  function render(root) {
    var scope = root && root.querySelectorAll ? root : document;
    Array.prototype.forEach.call(scope.querySelectorAll('.chart[data-chart]'), renderOne);
  }

  var pending = 0;
  window.addEventListener('resize', function () {
    if (pending) return;
    pending = requestAnimationFrame(function () {
      pending = 0;
      charts.forEach(function (chart, el) {
        if (el.isConnected) fit(el, chart);
        else {
          chart.dispose();
          charts.delete(el);
        }
      });
    });
  });

  window.VerisealCharts = { render: render, charts: charts };
  document.addEventListener('htmx:load', function (e) { render(e.target); });
  document.addEventListener('htmx:after:settle', function (e) { render(e.target); });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { render(document); });
  else render(document);
})();
