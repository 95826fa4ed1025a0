extension HTMLReport {
    /// The page's inline CSS; system fonts only, so nothing is fetched.
    static let stylesheet = """
    :root { color-scheme: light; --ink: #1f2328; --muted: #667085; --line: #e4e7ec; --accent: #0072B2; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
           color: var(--ink); background: #f6f7f9; }
    header, main, footer { max-width: 1240px; margin: 0 auto; padding: 0 24px; }
    header { padding-top: 24px; }
    h1 { font-size: 24px; margin: 0 0 4px; overflow-wrap: anywhere; }
    h2 { font-size: 18px; margin: 0 0 12px; }
    h3 { font-size: 15px; margin: 20px 0 8px; overflow-wrap: anywhere; }
    h3 small { color: var(--muted); font-weight: normal; margin-left: 6px; }
    .meta { color: var(--muted); margin: 0 0 10px; }
    nav a { color: var(--accent); text-decoration: none; margin-right: 16px; }
    nav a:hover { text-decoration: underline; }
    section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 18px 20px; margin: 18px 0; }
    .scroll { overflow-x: auto; }
    table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
    th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: middle; }
    th { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); font-weight: 600;
         white-space: nowrap; }
    tbody tr:nth-child(even) { background: #fafbfc; }
    td.num, th.num { text-align: right; white-space: nowrap; }
    td.strong { font-weight: 600; }
    td.id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; overflow-wrap: anywhere;
          min-width: 16ch; }
    td small { color: var(--muted); }
    td.name { min-width: 12ch; }
    td.params { min-width: 180px; }
    .param { display: inline-block; background: #eef2f6; border-radius: 4px; padding: 0 6px; margin: 1px 0;
             font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; white-space: nowrap; }
    .badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; background: #eef2f6; }
    .badge.ok { background: #d9f2e6; color: #05603a; }
    .badge.bad { background: #fde4e1; color: #a4140b; }
    .badge.warn { background: #fff1d6; color: #8a5300; }
    .muted, .note, .empty { color: var(--muted); }
    .note { margin: 0 0 12px; }
    code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eef2f6; padding: 0 4px; border-radius: 3px; }
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 14px; }
    .grid.small { grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); }
    .sweep { display: grid; grid-template-columns: minmax(0, 640px) minmax(0, 1fr); gap: 18px; align-items: start; }
    @media (max-width: 1000px) { .sweep { grid-template-columns: 1fr; } }
    figure { margin: 0; }
    figure svg { width: 100%; height: auto; display: block; border: 1px solid var(--line); border-radius: 6px; }
    footer { color: var(--muted); font-size: 12px; padding-bottom: 24px; }
    @media print { body { background: #fff; } section { break-inside: avoid; border: none; } }

    """
}
