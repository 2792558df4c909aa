//! Keyboard, themes, the layout at both window sizes, and axe-core.

use super::*;

pub(super) async fn keyboard_and_themes(j: &mut Journey) {
    let client = j.client();
    let focused =
        "const e = document.activeElement; return e ? e.dataset.testid || e.tagName : null;";
    js(
        client,
        "document.querySelector('[data-testid=record-search]').focus();",
    )
    .await;
    keys(client, &['\u{e031}']).await; // F1
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=shortcuts-dialog]"))
        .await
        .unwrap();
    keys(client, &['\u{e009}', '\u{e008}', 'l']).await; // Ctrl+Shift+L
    until("the dark theme", || async {
        js(client, "return document.documentElement.dataset.theme")
            .await
            .eq("dark")
            .then_some(())
    })
    .await;
    shot(client, "04-shortcuts-dark").await;
    keys(client, &['\u{e00c}']).await; // Escape closes the dialog
    until("the dialog to close", || async {
        text_of(client, "shortcuts-dialog")
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    assert_eq!(
        js(client, focused).await,
        json!("record-search"),
        "focus returns where it was before the dialog"
    );
    keys(client, &['\u{e009}', '\u{e008}', 'l']).await;

    // A source node: Enter selects it and does not pick it up; Space picks it up for a
    // keyboard drag, Escape puts it back.
    let node = "[data-testid=tree-node][data-path=\"$.ShortLocation\"]";
    js(
        client,
        &format!("document.querySelector('{node}').focus();"),
    )
    .await;
    keys(client, &['\u{e007}']).await; // Enter
    until("Enter to select the node", || async {
        let selected = js(
            client,
            &format!("return document.querySelector('{node}').getAttribute('aria-selected');"),
        )
        .await;
        (selected == json!("true")).then_some(())
    })
    .await;
    let picked_up = "return document.querySelector('.drag-chip') !== null;";
    assert_eq!(
        js(client, picked_up).await,
        json!(false),
        "Enter picked the node up for a drag"
    );
    keys(client, &['\u{e00d}']).await; // Space
    until("Space to pick the node up", || async {
        (js(client, picked_up).await == json!(true)).then_some(())
    })
    .await;
    keys(client, &['\u{e00c}']).await; // Escape
    until("Escape to put it back", || async {
        (js(client, picked_up).await == json!(false)).then_some(())
    })
    .await;

    // A bind with the keyboard only: the tree and the field grid are one Tab stop each
    // with arrow keys inside; Home takes the tree's first node, the grid's Home then two
    // ArrowDowns take `title`, Ctrl+B binds them.
    let stops = js(client, "return [document.querySelectorAll('[role=tree] [role=treeitem][tabindex=\"0\"]').length, document.querySelectorAll('[role=grid] [role=row][tabindex=\"0\"]').length];").await;
    assert_eq!(
        stops,
        json!([1, 1]),
        "one Tab stop in the tree and one in the grid"
    );
    js(
        client,
        "document.querySelector('[role=tree] [role=treeitem][tabindex=\"0\"]').focus();",
    )
    .await;
    keys(client, &['\u{e011}']).await; // Home
    let first = until("Home in the tree", || async {
        let path = js(client, "const e = document.activeElement; return e && e.getAttribute('role') === 'treeitem' && e.getAttribute('aria-selected') === 'true' ? e.dataset.path : null;").await;
        path.as_str().map(str::to_string)
    })
    .await;
    let member = first.trim_start_matches("$.").to_string();
    let value = j.wanted[member.as_str()]
        .as_str()
        .unwrap_or_else(|| panic!("{first} is a text member of the sample"))
        .trim()
        .to_string();
    js(
        client,
        "document.querySelector('[role=grid] [role=row][tabindex=\"0\"]').focus();",
    )
    .await;
    keys(client, &['\u{e011}']).await; // Home
    keys(client, &['\u{e015}']).await; // ArrowDown
    keys(client, &['\u{e015}']).await; // ArrowDown
    until("the grid's focus on title", || async {
        let field = js(client, "const e = document.activeElement; return e && e.getAttribute('aria-selected') === 'true' ? e.dataset.field : null;").await;
        (field == json!("title")).then_some(())
    })
    .await;
    keys(client, &['\u{e009}', 'b']).await; // Ctrl+B
    until("the keyboard-bound title in the preview", || async {
        let out = preview_output(client).await;
        (out["title"].as_str().map(str::trim) == Some(value.as_str())).then_some(())
    })
    .await;
    click(client, "[data-testid=undo]").await;
    until("the bind undone", || async {
        same_json(&preview_output(client).await, &j.studio_output).then_some(())
    })
    .await;
}

/// The toolbar's actions: each must be reachable, in the bar or in its "More" menu.
pub(super) const TOOLBAR_ACTIONS: &[&str] = &[
    "undo",
    "save",
    "open-history",
    "export",
    "import",
    "open-connections",
    "theme",
    "help",
];

/// What the page looks like at one window size: the viewport, whether anything scrolls
/// sideways, which regions overlap or leave the viewport, and which toolbar actions are
/// neither visible in the bar nor in its open menu.
pub(super) const LAYOUT_PROBE: &str = r#"
const vw = window.innerWidth, vh = window.innerHeight;
const d = document.documentElement;
const visible = (e) => {
  if (!e) return false;
  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0
    && r.left >= 0 && r.top >= 0 && r.right <= vw + 0.5 && r.bottom <= vh + 0.5;
};
const regions = ['.topbar', '.left', '.center', '.right', '.statusbar'].map((css) => [css, document.querySelector(css)]);
const out = [];
for (const [css, e] of regions) {
  const r = e.getBoundingClientRect();
  if (r.left < -0.5 || r.top < -0.5 || r.right > vw + 0.5 || r.bottom > vh + 0.5) out.push(css + ' leaves the viewport');
}
for (let i = 0; i < regions.length; i++) for (let k = i + 1; k < regions.length; k++) {
  const a = regions[i][1].getBoundingClientRect(), b = regions[k][1].getBoundingClientRect();
  const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
  if (w > 1 && h > 1) out.push(regions[i][0] + ' overlaps ' + regions[k][0]);
}
const wanted = arguments[0];
const menu = document.querySelector('[data-testid=more-menu]');
const inBar = wanted.filter((id) => visible(document.querySelector('.topbar [data-testid="' + id + '"]')));
return {
  vw, vh,
  sideways: Math.max(d.scrollWidth, document.body.scrollWidth) - vw,
  problems: out,
  inBar,
  menuVisible: visible(menu && menu.querySelector('summary')),
};
"#;

/// The actions visible in the open "More" menu.
pub(super) const MENU_PROBE: &str = r#"
const vw = window.innerWidth, vh = window.innerHeight;
return [...document.querySelectorAll('[data-testid=more-menu] [role=menuitem]')].filter((e) => {
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= vw + 0.5 && r.bottom <= vh + 0.5;
}).map((e) => e.dataset.testid.replace(/^menu-/, ''));
"#;

pub(super) async fn layout_fits(j: &mut Journey) {
    let client = j.client();
    for (width, height) in [(1440u32, 900u32), (960, 600)] {
        client.set_window_size(width, height).await.unwrap();
        let probe = until(&format!("the window at {width}x{height}"), || async {
            let p = client
                .execute(LAYOUT_PROBE, vec![json!(TOOLBAR_ACTIONS)])
                .await
                .unwrap();
            let (vw, vh) = (p["vw"].as_u64()? as u32, p["vh"].as_u64()? as u32);
            (vw.abs_diff(width) <= 16 && vh.abs_diff(height) <= 40).then_some(p)
        })
        .await;
        let size = format!("{width}x{height}");
        assert!(
            probe["sideways"].as_f64().unwrap() <= 0.5,
            "at {size} the page scrolls sideways by {} px",
            probe["sideways"]
        );
        assert_eq!(probe["problems"], json!([]), "regions at {size}");
        shot(client, &format!("11-layout-{size}")).await;
        // Every toolbar action is reachable: in the bar, or in the open "More" menu.
        let in_bar: Vec<String> = serde_json::from_value(probe["inBar"].clone()).unwrap();
        let mut in_menu: Vec<String> = Vec::new();
        if in_bar.len() < TOOLBAR_ACTIONS.len() {
            assert_eq!(
                probe["menuVisible"],
                json!(true),
                "at {size} some actions are not in the bar ({in_bar:?}) and there is no visible menu"
            );
            click(client, "[data-testid=more-menu] summary").await;
            in_menu = until("the open menu", || async {
                let items: Vec<String> =
                    serde_json::from_value(js(client, MENU_PROBE).await).ok()?;
                (!items.is_empty()).then_some(items)
            })
            .await;
            shot(client, &format!("12-toolbar-menu-{size}")).await;
            keys(client, &['\u{e00c}']).await; // Escape
            click(client, "[data-testid=more-menu] summary").await; // and close it
        }
        for action in TOOLBAR_ACTIONS {
            assert!(
                in_bar.iter().any(|a| a == action) || in_menu.iter().any(|a| a == action),
                "at {size} `{action}` is reachable neither in the bar {in_bar:?} nor in the menu {in_menu:?}"
            );
        }
    }
    client.set_window_size(1440, 900).await.unwrap();
    until("the window back at 1440x900", || async {
        let w = js(client, "return window.innerWidth;").await.as_u64()?;
        (w.abs_diff(1440) <= 16).then_some(())
    })
    .await;
}

/// axe-core's serious and critical violations on the page as it is: `rule (impact): n × targets`.
pub(super) async fn axe_violations(client: &Client) -> Vec<String> {
    if js(client, "return typeof window.axe;").await != json!("object") {
        // axe-core from the UI's npm packages (scripts/ui-build installs them).
        let path = support::root().join("ui/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run scripts/ui-build to install the UI's packages)",
                path.display()
            )
        });
        client
            .execute(&format!("{source}\nreturn typeof window.axe;"), vec![])
            .await
            .unwrap();
    }
    let found = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] }).then((r) => done(
              r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) =>
                v.id + ' (' + v.impact + '): ' + v.nodes.length + ' × ' +
                v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', '))
            ), (e) => done(['axe failed: ' + e]));"#,
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

pub(super) async fn accessibility(j: &mut Journey) {
    let client = &j.client().clone();
    let mut report: Vec<String> = Vec::new();
    let mut check = |screen: &str, found: Vec<String>| {
        report.extend(found.into_iter().map(|v| format!("{screen}: {v}")));
    };
    check("main", axe_violations(client).await);
    click(client, "[data-testid=view-json]").await;
    check("mapping JSON", axe_violations(client).await);
    click(client, ".view-tabs .tab").await;
    keys(client, &['\u{e009}', 'h']).await; // Ctrl+H
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=history-dialog]"))
        .await
        .unwrap();
    check("history", axe_violations(client).await);
    keys(client, &['\u{e00c}']).await;
    keys(client, &['\u{e031}']).await; // F1
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=shortcuts-dialog]"))
        .await
        .unwrap();
    check("shortcuts", axe_violations(client).await);
    keys(client, &['\u{e00c}']).await;
    click(client, "[data-testid=open-connections]").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=connections-dialog]"))
        .await
        .unwrap();
    check("connections", axe_violations(client).await);
    keys(client, &['\u{e00c}']).await;
    until("the dialogs to close", || async {
        let open = js(
            client,
            "return document.querySelector('[role=dialog]') !== null;",
        )
        .await;
        (open == json!(false)).then_some(())
    })
    .await;
    j.measured
        .insert("axe_serious_or_critical", json!(report.len()));
    assert!(
        report.is_empty(),
        "axe-core: {} serious or critical violations:\n  {}",
        report.len(),
        report.join("\n  ")
    );
}
