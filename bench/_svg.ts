/**
 * A horizontal bar chart as a standalone SVG document, written by hand (no
 * dependencies): one bar per server, its value at the end of the bar.
 *
 * @module
 */

/** One bar of the chart. */
export interface Bar {
  label: string;
  /** Undefined draws an empty bar marked "n/a". */
  value: number | undefined;
  /** Bars of the project's own tools are drawn in a different colour from peers. */
  ours: boolean;
}

/** Options of {@linkcode barChart}. */
export interface BarChartOptions {
  title: string;
  subtitle?: string;
  /** The unit after each value, e.g. "conns/s". */
  unit: string;
}

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(
    ">",
    "&gt;",
  )
    .replaceAll('"', "&quot;");
}

/** Renders `bars` as an SVG document. */
export function barChart(bars: Bar[], options: BarChartOptions): string {
  const width = 800,
    labelW = 270,
    valueW = 140,
    barH = 24,
    gap = 10,
    top = 64,
    left = 12;
  const plotW = width - left - labelW - valueW;
  const height = top + bars.length * (barH + gap) + 28;
  const max = Math.max(1, ...bars.map((b) => b.value ?? 0));
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="bold">${
      escapeXml(options.title)
    }</text>`,
  ];
  if (options.subtitle) {
    out.push(
      `<text x="${left}" y="44" fill="#555555">${
        escapeXml(options.subtitle)
      }</text>`,
    );
  }
  bars.forEach((bar, i) => {
    const y = top + i * (barH + gap);
    const w = bar.value === undefined
      ? 0
      : Math.max(1, (bar.value / max) * plotW);
    const colour = bar.ours ? "#2f6fb0" : "#9a9a9a";
    const text = bar.value === undefined
      ? "n/a"
      : `${Math.round(bar.value).toLocaleString("en-US")} ${options.unit}`;
    out.push(
      `<text x="${left + labelW - 8}" y="${y + barH * 0.7}" text-anchor="end">${
        escapeXml(bar.label)
      }</text>`,
      `<rect x="${left + labelW}" y="${y}" width="${
        w.toFixed(1)
      }" height="${barH}" fill="${colour}"/>`,
      `<text x="${(left + labelW + w + 6).toFixed(1)}" y="${y + barH * 0.7}">${
        escapeXml(text)
      }</text>`,
    );
  });
  const legendY = height - 10;
  out.push(
    `<rect x="${left + labelW}" y="${
      legendY - 10
    }" width="12" height="12" fill="#2f6fb0"/>`,
    `<text x="${left + labelW + 18}" y="${legendY}">beejnet server</text>`,
    `<rect x="${left + labelW + 140}" y="${
      legendY - 10
    }" width="12" height="12" fill="#9a9a9a"/>`,
    `<text x="${left + labelW + 158}" y="${legendY}">peer</text>`,
    "</svg>",
    "",
  );
  return out.join("\n");
}
