//! Toasts at the window's minimum size: a repeated message is one toast with a count, the
//! toasts overlay the panes' corner above the status bar instead of taking a layout row
//! (four identical errors took 178 px of a 600 px window and left the Records list two
//! rows), and each one can be dismissed from the keyboard.

use super::*;

/// The panes' and the status bar's boxes, `[top, height]` each, to compare with and
/// without toasts on screen.
const REGIONS: &str = "return ['.left', '.center', '.right', '.statusbar'].map((css) => { const r = document.querySelector(css).getBoundingClientRect(); return [Math.round(r.top), Math.round(r.height)]; });";

/// The custom field name the canvas refuses (it starts with a digit).
const REFUSED_NAME: &str = "1st_visit";

pub(super) async fn toasts_merge_and_overlay(j: &mut Journey) {
    let client = j.client();
    close_dialogs(client).await;
    window_at(client, SMALL).await;
    // Whatever earlier steps left in the corner goes first, so the boxes below are the
    // layout's own.
    js(
        client,
        "document.querySelectorAll('.toast-dismiss').forEach((b) => b.click()); return null;",
    )
    .await;
    until_true(
        client,
        "no toast on screen",
        "return document.querySelectorAll('.toast').length === 0;",
    )
    .await;
    let without = read_js(client, REGIONS).await;

    let input = find(client, "input[aria-label='New custom field name']").await;
    input.send_keys(REFUSED_NAME).await.unwrap();
    for _ in 0..4 {
        input.send_keys("\u{e007}").await.unwrap(); // Enter submits, and is refused each time
    }
    let toast = until("one error toast counting the four refusals", || async {
        let v = read_js(
            client,
            "const t = [...document.querySelectorAll('[data-testid=toast-error]')]; return t.map((e) => [e.dataset.count, e.querySelector('.toast-text').textContent, e.textContent, e.getAttribute('role'), e.closest('[aria-live]')?.getAttribute('aria-live') ?? null]);",
        )
        .await;
        let list = v.as_array()?;
        (list.len() == 1 && list[0][0] == json!("4")).then(|| list[0].clone())
    })
    .await;
    assert_eq!(
        toast[1],
        json!("A custom field name is letters, digits and _ (not starting with a digit)"),
        "the sentence starts with a capital letter"
    );
    assert!(
        toast[2].as_str().unwrap().contains("×4"),
        "the count is shown: {toast}"
    );
    assert_eq!(
        (&toast[3], &toast[4]),
        (&json!("alert"), &json!("assertive")),
        "an error toast is announced"
    );

    let with = read_js(client, REGIONS).await;
    assert_eq!(
        with, without,
        "the toast takes no layout row: the panes and the status bar keep their boxes"
    );
    let placed = read_js(
        client,
        "const t = document.querySelector('[data-testid=toast-error]').getBoundingClientRect(); const s = document.querySelector('.statusbar').getBoundingClientRect(); return [t.bottom <= s.top + 0.5, t.right <= window.innerWidth + 0.5, t.left >= 0, document.elementFromPoint(s.right - 4, s.top + s.height / 2)?.closest('.statusbar') !== null];",
    )
    .await;
    assert_eq!(
        placed,
        json!([true, true, true, true]),
        "the toast sits above the status bar, inside the window, and leaves the bar uncovered"
    );

    // A failure from the service: its code beside the sentence (muted, and in the title),
    // not `[unreadable_file]` at the end of it. The file chooser (overridden in test
    // builds) answers the journey's file, which is not there now. By its shortcut (Ctrl+O),
    // from the name box: this step is about the toast, not the way to the action.
    let _ = std::fs::remove_file(&j.chosen_file);
    keys(client, &['\u{e009}', 'o']).await;
    let coded = until("the import's error toast", || async {
        let v = read_js(
            client,
            "const e = [...document.querySelectorAll('[data-testid=toast-error]')].find((t) => t.querySelector('.toast-code')); return e ? [e.querySelector('.toast-text').textContent, e.querySelector('.toast-code').textContent, e.title] : null;",
        )
        .await;
        (!v.is_null()).then_some(v)
    })
    .await;
    let sentence = coded[0].as_str().unwrap();
    assert!(
        sentence.starts_with("Cannot read ") && !sentence.contains('['),
        "the sentence, capitalised and without the code: {coded}"
    );
    assert_eq!(
        (&coded[1], &coded[2]),
        (
            &json!("unreadable_file"),
            &json!("Error code: unreadable_file")
        ),
        "the code beside the sentence and in the title"
    );
    screen(client, "19-toasts").await;
    // The Dismiss buttons, the count and the code pass axe-core (the rest of the page has
    // its own steps, which run without toasts on screen).
    let on_toasts: Vec<String> = axe_violations(client)
        .await
        .into_iter()
        .filter(|v| v.contains("toast"))
        .collect();
    remove_axe(client).await;
    assert_eq!(on_toasts, Vec::<String>::new(), "axe-core on the toasts");

    // Dismiss from the keyboard: the focus goes to the next toast's Dismiss button, and
    // back to where it was when the last one goes.
    until_true(
        client,
        "the first Dismiss button focused",
        "const b = document.querySelector('[data-testid=toast-error] button[aria-label=Dismiss]'); document.querySelector(\"input[aria-label='New custom field name']\").focus(); b.focus(); return document.activeElement === b;",
    )
    .await;
    keys(client, &['\u{e007}']).await; // Enter presses it
    until_true(
        client,
        "one toast left, its Dismiss button focused",
        "const t = document.querySelectorAll('[data-testid=toast-error]'); return t.length === 1 && document.activeElement === t[0].querySelector('button[aria-label=Dismiss]') && t[0].querySelector('.toast-code') !== null;",
    )
    .await;
    keys(client, &['\u{e007}']).await;
    until_true(
        client,
        "the toast dismissed and the focus back in the name box",
        "return document.querySelectorAll('[data-testid=toast-error]').length === 0 && document.activeElement?.getAttribute('aria-label') === 'New custom field name';",
    )
    .await;
    // Empty the box as a user would (select all, delete), so the page's state follows.
    input.send_keys("\u{e009}a\u{e000}\u{e003}").await.unwrap();
    window_at(client, (1440, 900)).await;
}
