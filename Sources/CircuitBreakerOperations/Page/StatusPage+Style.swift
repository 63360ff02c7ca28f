extension StatusPage {
    /// The page's style sheet, inline. State colours pass WCAG AA contrast with their text, and each state also has
    /// its own symbol and words.
    static let style = #"""
        body{font:14px/1.4 system-ui,sans-serif;margin:1rem 1.5rem;color:#1b1b1b;background:#fff}
        h1{font-size:1.4rem;margin:.2rem 0}
        h2{font-size:1.15rem;margin:1.4rem 0 .2rem}
        tr.group th,tr.group td{background:#f7f7fb;font-weight:600}
        header p{margin:.2rem 0 .6rem}
        .controls{display:flex;gap:.6rem;align-items:center;flex-wrap:wrap}
        #filter{font:inherit;padding:.25rem .4rem;min-width:16rem}
        #updated{color:#555}
        #message:empty{display:none}
        #message{padding:.4rem .6rem;background:#fff4d6;border:1px solid #c9a227}
        table{border-collapse:collapse;width:100%}
        caption{text-align:left;color:#555;padding:.3rem 0}
        th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
        thead th{position:sticky;top:0;background:#f3f3f3}
        tbody th{font-weight:600;word-break:break-all}
        .badge{display:inline-block;padding:.05rem .45rem;border-radius:.7rem;font-weight:600;white-space:nowrap}
        .closed{background:#d8f0dc;color:#14532d}
        .open{background:#b42318;color:#fff}
        .half_open{background:#fde68a;color:#713f12}
        .forced_open{background:#5b1a8e;color:#fff}
        .disabled{background:#d4d4d8;color:#27272a}
        .over{color:#b42318;font-weight:600}
        button{font:inherit;margin:0 .2rem .2rem 0}
        @media (prefers-color-scheme:dark){body{background:#111;color:#eee}thead th{background:#222}
        th,td{border-color:#333}#updated,caption{color:#aaa}#message{background:#3a3000}
        tr.group th,tr.group td{background:#1c1c24}}
        """#
}
