//! Toasts at the window's minimum size: a repeated message is one toast with a count, the
//! toasts overlay the panes' corner above the status bar instead of taking a layout row
//! (four identical errors took 178 px of a 600 px window and left the Records list two
//! rows), and each one can be dismissed from the keyboard. A custom field name the canvas
//! refuses is said under its box as it is typed, and is never a toast.

use super::*;

/// The panes' and the status bar's boxes, `[top, height]` each, to compare with and
/// without toasts on screen.
const REGIONS: &str = "return ['.left', '.center', '.right', '.statusbar'].map((css) => { const r = document.querySelector(css).getBoundingClientRect(); return [Math.round(r.top), Math.round(r.height)]; });";

/// The custom field name the canvas refuses (it starts with a digit).
const REFUSED_NAME: &str = "1st_visit";

/// The toasts on screen, each `[count, sentence, whole text, code, title, role, aria-live]`.
const TOASTS: &str = "return [...document.querySelectorAll('[data-testid=toast-error]')].map((e) => [e.dataset.count, e.querySelector('.toast-text').textContent, e.textContent, e.querySelector('.toast-code')?.textContent ?? null, e.title, e.getAttribute('role'), e.closest('[aria-live]')?.getAttribute('aria-live') ?? null]);";

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

    // The name is checked as it is typed: the reason right under the box, tied to it, and
    // Add off. Enter in the box then adds nothing and shows no toast (the toasts are
    // counted below, while any toast from these presses would still be on screen).
    let input = find(client, "input[aria-label='New custom field name']").await;
    input.send_keys(REFUSED_NAME).await.unwrap();
    let refused = until("the name's problem under its box", || async {
        let v = read_js(
            client,
            "const i = document.querySelector(\"input[aria-label='New custom field name']\"); const n = document.getElementById(i.getAttribute('aria-describedby') ?? ''); return n ? [i.getAttribute('aria-invalid'), n.textContent, n.dataset.testid, document.querySelector('[data-testid=add-custom]').disabled] : null;",
        )
        .await;
        (!v.is_null()).then_some(v)
    })
    .await;
    assert_eq!(
        refused,
        json!([
            "true",
            "A custom field name cannot start with a digit",
            "custom-name-note",
            true
        ]),
        "the refused name: marked invalid, its reason under the box, Add off"
    );
    for _ in 0..4 {
        input.send_keys("\u{e007}").await.unwrap(); // Enter: refused, with no toast
    }

    // A failure from the service, four times: the import of the journey's file, which is
    // not there now (the file chooser is overridden in test builds). By its shortcut
    // (Ctrl+O), from the name box: this step is about the toast, not the way to the action.
    // Each press waits for the count, so the four are four answers, not one.
    let _ = std::fs::remove_file(&j.chosen_file);
    for n in 1..=4 {
        keys(client, &['\u{e009}', 'o']).await;
        until(
            &format!("the import's error toast counting {n}"),
            || async {
                let v = read_js(client, TOASTS).await;
                v.as_array()?
                    .iter()
                    .any(|t| t[3] == json!("unreadable_file") && t[0] == json!(n.to_string()))
                    .then_some(())
            },
        )
        .await;
    }
    let toasts = read_js(client, TOASTS).await;
    let list = toasts.as_array().unwrap();
    assert_eq!(
        list.len(),
        1,
        "one toast for the four imports, and none for the refused name: {toasts}"
    );
    let toast = &list[0];
    let sentence = toast[1].as_str().unwrap();
    assert!(
        sentence.starts_with("Cannot read ") && !sentence.contains('['),
        "the sentence, capitalised and without the code: {toast}"
    );
    assert!(
        toast[2].as_str().unwrap().contains("×4"),
        "the count is shown: {toast}"
    );
    // The code beside the sentence (muted, and in the title), not `[unreadable_file]` at
    // the end of it.
    assert_eq!(
        (&toast[3], &toast[4]),
        (
            &json!("unreadable_file"),
            &json!("Error code: unreadable_file")
        ),
        "the code beside the sentence and in the title"
    );
    assert_eq!(
        (&toast[5], &toast[6]),
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

    // A second, different failure, for the Dismiss buttons below: the journey's file is a
    // directory now ("cannot read …: not a file"), so it is a toast of its own.
    std::fs::create_dir(&j.chosen_file).unwrap();
    keys(client, &['\u{e009}', 'o']).await;
    until("a second error toast", || async {
        let v = read_js(client, TOASTS).await;
        (v.as_array()?.len() == 2).then_some(())
    })
    .await;
    std::fs::remove_dir(&j.chosen_file).unwrap();
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
