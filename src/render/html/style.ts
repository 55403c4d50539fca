// The page's only style sheet, inline. Colours help on screen; dashes, arrow heads, marks and
// words carry the meaning, and print turns everything black.
export const PAGE_STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em; color: #111; background: #fff; }
h1 { font-size: 1.5em; margin: 0 0 .4em; }
h2 { font-size: 1.15em; margin: 1.6em 0 .3em; font-family: ui-monospace, monospace; }
h3 { font-size: 1em; margin: .8em 0 .2em; }
p, li { font-family: ui-monospace, monospace; }
.flow { border-top: 2px solid #444; padding-top: .2em; }
.verdict-ok h2 .mark { color: #176b2c; }
.verdict-dropped h2 .mark, .verdict-rejected h2 .mark, .verdict-reply-dropped h2 .mark { color: #a4161a; }
.verdict-no-reply h2 .mark { color: #8a5a00; }
table.flows { border-collapse: collapse; font-family: ui-monospace, monospace; }
table.flows td, table.flows th { border: 1px solid #999; padding: 2px 8px; text-align: left; }
.legend { font-size: 12px; color: #333; }
.legend .key { white-space: nowrap; margin-right: 1.2em; }
.ladder-box { overflow-x: auto; }
svg.ladder { font: 12px ui-monospace, monospace; }
svg.ladder text { fill: #111; }
.hop-name { text-anchor: middle; font-weight: bold; font-size: 13px; }
.hop-role, .group-name, .tunnel-name { text-anchor: middle; font-size: 11px; }
.group { fill: none; stroke: #555; }
.hop-line { stroke: #333; stroke-width: 1.5; }
.tunnel { fill: #ddd; fill-opacity: .5; stroke: #555; stroke-dasharray: 2 3; }
.arrow { stroke-width: 1.8; fill: none; }
.request .arrow { stroke: #1d4e89; }
.reply .arrow { stroke: #b35c00; stroke-dasharray: 7 4; }
.head-request { fill: #1d4e89; stroke: #1d4e89; }
.head-reply { fill: #fff; stroke: #b35c00; stroke-width: 1.3; }
.seen { fill: #111; }
.missed { fill: #fff; stroke: #111; stroke-width: 1.5; }
.rewrite { text-anchor: middle; font-size: 11px; font-weight: bold; paint-order: stroke; stroke: #fff; stroke-width: 4px; }
.cross { stroke: #a4161a; stroke-width: 3; }
.vanished { text-anchor: middle; font-size: 11px; font-weight: bold; }
.in-flight-line { stroke-dasharray: 2 3; }
.in-flight-mark { fill: #fff; stroke: #111; stroke-width: 2; }
.in-flight { text-anchor: middle; font-size: 11px; font-style: italic; paint-order: stroke; stroke: #fff; stroke-width: 4px; }
.when, .what { font-size: 11px; }
.gap { fill: none; stroke: #777; }
.gap-text { text-anchor: middle; font-style: italic; }
footer { margin-top: 2em; font-size: 12px; color: #444; }
@media print {
  body { color: #000; }
  .request .arrow, .reply .arrow, .cross { stroke: #000; }
  .head-request { fill: #000; stroke: #000; }
  .head-reply { stroke: #000; }
  h2 .mark { color: #000 !important; }
}
`;
