// Scores over time: one line per score across points in time (experiments,
// by their creation time), drawn by uPlot on a canvas. The canvas is hidden
// from assistive technology; the figure's caption says what it shows and a
// visually hidden table carries every value. Our own legend replaces
// uPlot's (a list, one swatch per series); hovering shows the nearest
// point's values under the chart.
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './ScoreChart.css';
import { formatScore, formatTime } from './format';

export interface ScoreSeries {
  label: string;
  values: (number | null)[]; // one per point, null where the point has no value
}

export interface ScoreChartProps {
  caption: string;
  pointLabel: string; // what a point is ("Experiment")
  points: { label: string; time: number }[]; // time in ms since the epoch, ascending
  series: ScoreSeries[];
  height?: number;
}

// Distinguishable on white, in a fixed order so a score keeps its color.
const PALETTE = ['#2d5bd8', '#d9480f', '#2b8a3e', '#ae3ec9', '#e8590c', '#0b7285', '#c2255c', '#5f3dc4', '#5c940d'];

export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/**
 * The x range (seconds) for uPlot's proposed [min, max]: around the whole data
 * a little room at both ends so edge points show whole, an hour each side of a
 * lone point (uPlot would widen it to 86,400 of its units: years); a zoomed
 * range as asked.
 */
function xRange(xs: ArrayLike<number>, min: number, max: number): [number, number] {
  if (!xs.length) return [min, max];
  const first = xs[0];
  const last = xs[xs.length - 1];
  if (first === last) return [first - 3600, first + 3600];
  if (min === first && max === last) {
    const pad = (last - first) * 0.03;
    return [first - pad, last + pad];
  }
  return [min, max];
}

export function ScoreChart({ caption, pointLabel, points, series, height = 240 }: ScoreChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<number | null>(null);
  const data = useMemo(
    () => [points.map((p) => p.time / 1000), ...series.map((s) => s.values)] as uPlot.AlignedData,
    [points, series],
  );

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = data[0] as number[];
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { points: { show: true } },
      scales: {
        x: { time: true, range: (_u, min, max) => xRange(xs, min, max) },
        y: { range: (_u, min, max) => [Math.min(0, min ?? 0), Math.max(1, max ?? 1)] },
      },
      axes: [{}, { values: (_u, ticks) => ticks.map((t) => formatScore(t)), size: 60 }],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: seriesColor(i),
          width: 2,
          spanGaps: true,
          points: { show: true, size: 7, fill: seriesColor(i) },
        })),
      ],
      hooks: { setCursor: [(u: uPlot) => setHover(u.cursor.idx ?? null)] },
    };
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [data, series, height]);

  const at = hover !== null && hover < points.length ? hover : null;
  return (
    <figure className="score-chart">
      <figcaption>{caption}</figcaption>
      <ul className="score-chart-legend" aria-hidden="true">
        {series.map((s, i) => (
          <li key={s.label}>
            <span className="score-chart-swatch" style={{ background: seriesColor(i) }} />
            {s.label}
          </li>
        ))}
      </ul>
      <div ref={box} className="score-chart-canvas" aria-hidden="true" />
      <p className="score-chart-readout" aria-hidden="true">
        {at === null
          ? '\u00a0'
          : `${points[at].label} (${formatTime(new Date(points[at].time).toISOString())}): ` +
            series.map((s) => `${s.label} ${formatScore(s.values[at])}`).join(', ')}
      </p>
      <table className="visually-hidden">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{pointLabel}</th>
            <th scope="col">Time</th>
            {series.map((s) => (
              <th scope="col" key={s.label}>
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {points.map((p, i) => (
            <tr key={i}>
              <th scope="row">{p.label}</th>
              <td>{formatTime(new Date(p.time).toISOString())}</td>
              {series.map((s) => (
                <td key={s.label}>{formatScore(s.values[i])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
