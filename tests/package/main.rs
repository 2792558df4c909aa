//! The studio's Debian package (`make package`). This test packages the debug build of
//! the studio that the other tests use (`tauri bundle --debug --bundles deb`, the same
//! bundler and tauri.conf.json as `make package`'s release build, without a second build),
//! then checks the package as `dpkg` would see it: the control fields, that its Depends
//! bring in every library the binary links, the file list (the binary under /usr/bin, a
//! desktop entry, the icons under /usr/share/icons/hicolor, everything owned by root).
//! It extracts the package into a temporary directory (nothing is installed), starts the
//! packaged binary on the display and checks that it opens its window, with the title and
//! window class the desktop entry names, that the page draws (the window's pixels, which
//! it saves as target/e2e-screenshots/package-window.png), and that it stays up.
//!
//! It needs a display, the Tauri CLI from the UI's npm packages, the built UI, dpkg-deb,
//! readelf, x11-utils and x11-apps, so it is `#[ignore]`d: a plain `cargo nextest run` lists it as
//! skipped. `make unit` provides them and runs it with `--run-ignored all`; run that way
//! without them, it fails naming what is missing, never passing without having run.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::xwd::WindowImage;
use unifield_test_support as support;

/// The studio's binary, as Cargo names it and as the package installs it.
const BINARY: &str = "unifield-studio";
/// The package's name: what `apt install`/`apt remove` take.
const PACKAGE: &str = "unifield-studio";
/// The libraries a Tauri 2 window needs; the bundler adds them to Depends.
const WEBVIEW_PACKAGES: &[&str] = &["libwebkit2gtk-4.1-0", "libgtk-3-0"];

/// Bundling an already-built binary takes about 2 s; a cold npm cache or a loaded
/// machine gets much more, a hang gets no more.
const BUNDLE_LIMIT: Duration = Duration::from_secs(180);
/// From start to a mapped window: about 1 s here, WebKit's first start on a loaded CI
/// machine is slower.
const WINDOW_LIMIT: Duration = Duration::from_secs(60);
/// How long the window must stay up once it is shown.
const STAYS_UP: Duration = Duration::from_secs(5);
/// Distinct colours in the window that mean the UI has drawn: a mapped window whose page
/// is still (or stays) empty shows 1; the studio's first screen shows 800 and more.
const DRAWN_COLOURS: usize = 64;

#[test]
#[ignore = "needs a display, the Tauri CLI (ui/node_modules), dpkg-deb, readelf, x11-utils and x11-apps: make unit runs it (--run-ignored all)"]
fn the_debian_package_holds_the_studio_and_opens_its_window() {
    let missing = missing_prerequisites();
    if !missing.is_empty() {
        support::skipped(&format!(
            "the studio's Debian package cannot be tested here; missing: {}",
            missing.join(", ")
        ));
        panic!("the package test was asked to run but its prerequisites are missing (see SKIPPED above)");
    }
    let config = Config::read();
    let scratch = support::TempWorkspace::new();
    let started = Instant::now();

    // The debug build the journey and `make run` use (features: none), copied into a
    // target directory of its own: the bundler patches the binary it packages and writes
    // its bundle next to it, and the shared target/debug/unifield-studio is rebuilt with
    // other features by other tests.
    let built = support::built_binary("unifield-studio", BINARY, &[]);
    let built_in = started.elapsed();
    let profile = built
        .parent()
        .and_then(Path::file_name)
        .and_then(|p| p.to_str())
        .expect("the built binary sits in target/<profile>/")
        .to_string();
    let target = scratch.path().join("target");
    std::fs::create_dir_all(target.join(&profile)).unwrap();
    std::fs::copy(&built, target.join(&profile).join(BINARY)).unwrap();

    let bundle_started = Instant::now();
    let deb = bundle(&target, &profile, scratch.path());
    let bundled_in = bundle_started.elapsed();
    let deb_size = std::fs::metadata(&deb).unwrap().len();
    println!(
        "package: {} ({:.1} MiB); build {:.1} s, bundle {:.1} s",
        deb.display(),
        deb_size as f64 / (1024.0 * 1024.0),
        built_in.as_secs_f64(),
        bundled_in.as_secs_f64()
    );
    println!("{}", run(Command::new("dpkg-deb").arg("--info").arg(&deb)));

    let fields = check_control_fields(&deb, &config);
    let entries = check_file_list(&deb, &config);

    let root = scratch.path().join("root");
    run(Command::new("dpkg-deb")
        .arg("--extract")
        .arg(&deb)
        .arg(&root));
    let desktop = check_desktop_entry(&root, &entries, &config);
    check_depends_cover_linked_libraries(&root.join("usr/bin").join(BINARY), &fields);

    let window_started = Instant::now();
    check_window(
        &root.join("usr/bin").join(BINARY),
        scratch.path(),
        &config,
        &desktop,
    );
    println!(
        "package: the packaged studio showed its window and stayed up ({:.1} s); whole test {:.1} s",
        window_started.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

/// What the test needs from the machine, or what is missing.
fn missing_prerequisites() -> Vec<String> {
    let mut missing = Vec::new();
    if std::env::var_os("DISPLAY").is_none() {
        missing.push("a display (DISPLAY; make unit runs xvfb-run)".to_string());
    }
    if !tauri_cli().exists() {
        missing.push(format!(
            "the Tauri CLI ({}; make ui installs the UI's npm packages)",
            tauri_cli().display()
        ));
    }
    if !support::root().join("ui/dist/index.html").exists() {
        missing.push("the built UI (ui/dist, which the studio embeds; make ui)".to_string());
    }
    let runs = |program: &str, arg: &str| {
        Command::new(program)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !runs("dpkg-deb", "--version") {
        missing.push("dpkg-deb (Debian: dpkg)".to_string());
    }
    if !runs("readelf", "--version") {
        missing.push("readelf (Debian: binutils)".to_string());
    }
    // Both ask the display even for their version: look them up in PATH instead.
    let on_path = |program: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
    };
    if !on_path("xwininfo") || !on_path("xprop") {
        missing
            .push("xwininfo and xprop (Debian: x11-utils; scripts/setup installs it)".to_string());
    }
    if !on_path("xwd") {
        missing.push("xwd (Debian: x11-apps; scripts/setup installs it)".to_string());
    }
    missing
}

fn tauri_cli() -> PathBuf {
    support::root().join("ui/node_modules/.bin/tauri")
}

/// What src-tauri/tauri.conf.json says the package and its window are.
struct Config {
    product_name: String,
    version: String,
    short_description: String,
    title: String,
    min_width: u64,
    min_height: u64,
    /// The icons the bundle lists, with their pixel sizes.
    icons: Vec<(PathBuf, u32, u32)>,
    /// Depends the configuration adds to the bundler's own.
    depends: Vec<String>,
}

impl Config {
    fn read() -> Config {
        let dir = support::root().join("src-tauri");
        let text = std::fs::read_to_string(dir.join("tauri.conf.json")).unwrap();
        let conf: Value = serde_json::from_str(&text).unwrap();
        let text_at = |pointer: &str| {
            conf.pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("tauri.conf.json has no text at {pointer}"))
                .to_string()
        };
        let number_at = |pointer: &str| {
            conf.pointer(pointer)
                .and_then(Value::as_u64)
                .unwrap_or_else(|| panic!("tauri.conf.json has no number at {pointer}"))
        };
        let icons = conf["bundle"]["icon"]
            .as_array()
            .expect("tauri.conf.json lists the bundle's icons")
            .iter()
            .map(|icon| {
                let path = dir.join(icon.as_str().unwrap());
                let (width, height) = png_size(&path);
                (path, width, height)
            })
            .collect();
        let depends = conf
            .pointer("/bundle/linux/deb/depends")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|d| d.as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        Config {
            product_name: text_at("/productName"),
            version: text_at("/version"),
            short_description: text_at("/bundle/shortDescription"),
            title: text_at("/app/windows/0/title"),
            min_width: number_at("/app/windows/0/minWidth"),
            min_height: number_at("/app/windows/0/minHeight"),
            icons,
            depends,
        }
    }
}

/// The width and height in a PNG's header (IHDR), or a panic naming the file.
fn png_size(path: &Path) -> (u32, u32) {
    let mut head = [0u8; 24];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert_eq!(
        &head[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    assert_eq!(
        &head[12..16],
        b"IHDR",
        "{} has no IHDR first",
        path.display()
    );
    let width = u32::from_be_bytes(head[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(head[20..24].try_into().unwrap());
    (width, height)
}

/// Runs `tauri bundle` over the binary in `target/<profile>/` and gives the one .deb it
/// wrote, within [`BUNDLE_LIMIT`].
fn bundle(target: &Path, profile: &str, scratch: &Path) -> PathBuf {
    let log_path = scratch.join("bundle.log");
    let log = File::create(&log_path).unwrap();
    let mut command = Command::new(tauri_cli());
    command
        .current_dir(support::root().join("src-tauri"))
        .arg("bundle")
        .args(["--bundles", "deb", "--ci"])
        .env("CARGO_TARGET_DIR", target)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    if profile != "release" {
        command.arg("--debug");
    }
    let mut child = Running(command.spawn().expect("the Tauri CLI starts"));
    let deadline = Instant::now() + BUNDLE_LIMIT;
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "tauri bundle did not finish within {BUNDLE_LIMIT:?}; its output:\n{}",
            read_lossy(&log_path)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        status.success(),
        "tauri bundle failed ({status}); its output:\n{}",
        read_lossy(&log_path)
    );
    let dir = target.join(profile).join("bundle/deb");
    let debs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("tauri bundle wrote no {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    assert_eq!(debs.len(), 1, "one .deb in {}: {debs:?}", dir.display());
    debs.into_iter().next().unwrap()
}

/// The control file's fields, checked: name, version, architecture, a description, and
/// Depends naming the webview's libraries and what the configuration adds.
fn check_control_fields(deb: &Path, config: &Config) -> BTreeMap<String, String> {
    let control = run(Command::new("dpkg-deb").arg("--field").arg(deb));
    let fields = control_fields(&control);
    let field = |name: &str| {
        fields
            .get(name)
            .unwrap_or_else(|| panic!("the control file has no {name}:\n{control}"))
            .as_str()
    };
    assert_eq!(field("Package"), PACKAGE, "control file:\n{control}");
    assert_eq!(field("Version"), config.version, "control file:\n{control}");
    let architecture = run(Command::new("dpkg").arg("--print-architecture"));
    assert_eq!(
        field("Architecture"),
        architecture.trim(),
        "control file:\n{control}"
    );
    assert!(!field("Maintainer").is_empty(), "control file:\n{control}");
    assert_eq!(
        field("Description").lines().next(),
        Some(config.short_description.as_str()),
        "the synopsis is the bundle's shortDescription; control file:\n{control}"
    );
    assert!(
        field("Description").lines().count() > 1,
        "a long description follows the synopsis; control file:\n{control}"
    );
    let depends = package_names(field("Depends"));
    for needed in WEBVIEW_PACKAGES
        .iter()
        .copied()
        .chain(config.depends.iter().map(String::as_str))
    {
        assert!(
            depends.contains(needed),
            "Depends names {needed}; control file:\n{control}"
        );
    }
    fields
}

/// `Name: value` fields of a control file; continuation lines (` text`) join their field
/// with a newline.
fn control_fields(control: &str) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in control.lines() {
        if let Some(more) = line.strip_prefix(' ') {
            let name = last.as_ref().expect("a continuation line follows a field");
            let value: &mut String = fields.get_mut(name).unwrap();
            value.push('\n');
            value.push_str(more.trim());
        } else if let Some((name, value)) = line.split_once(':') {
            fields.insert(name.to_string(), value.trim().to_string());
            last = Some(name.to_string());
        }
    }
    fields
}

/// The package names in a Depends value: alternatives (`a | b`) and version constraints
/// (`a (>= 1)`) dropped, architecture qualifiers (`a:any`) too.
fn package_names(depends: &str) -> BTreeSet<String> {
    depends
        .split([',', '|'])
        .filter_map(|d| d.split_whitespace().next())
        .map(|d| d.split(':').next().unwrap().to_string())
        .collect()
}

/// One line of `dpkg-deb --contents`.
struct Entry {
    mode: String,
    owner: String,
    path: String,
}

/// The archive's file list, checked: the binary under /usr/bin, executable; one desktop
/// entry; each icon the bundle lists at its size under hicolor; everything owned by root.
fn check_file_list(deb: &Path, config: &Config) -> Vec<Entry> {
    let listing = run(Command::new("dpkg-deb").arg("--contents").arg(deb));
    let entries: Vec<Entry> = listing.lines().map(parse_entry).collect();
    let find = |path: &str| entries.iter().find(|e| e.path == path);
    let binary = find(&format!("usr/bin/{BINARY}"))
        .unwrap_or_else(|| panic!("the package holds /usr/bin/{BINARY}:\n{listing}"));
    assert_eq!(binary.mode, "-rwxr-xr-x", "the binary's mode:\n{listing}");
    let desktop: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.path.starts_with("usr/share/applications/") && e.path.ends_with(".desktop"))
        .collect();
    assert_eq!(desktop.len(), 1, "one desktop entry:\n{listing}");
    for (icon, width, height) in &config.icons {
        let density = if icon.to_string_lossy().contains("@2x") {
            "@2"
        } else {
            ""
        };
        let expected =
            format!("usr/share/icons/hicolor/{width}x{height}{density}/apps/{BINARY}.png");
        assert!(
            find(&expected).is_some(),
            "the icon {} is in the package as {expected}:\n{listing}",
            icon.display()
        );
    }
    for entry in &entries {
        assert!(
            entry.owner == "0/0" || entry.owner == "root/root",
            "{} is owned by root (an installed file owned by another user is that user's to change): {}\n{listing}",
            entry.path,
            entry.owner
        );
    }
    entries
}

/// `-rw-r--r-- 0/0   247 2026-11-30 08:36 ./usr/share/applications/Unifield Studio.desktop`
/// (the path may hold spaces; a symbolic link's ` -> target` is kept in the path).
fn parse_entry(line: &str) -> Entry {
    let mut rest = line;
    let mut fields = Vec::new();
    for _ in 0..5 {
        rest = rest.trim_start();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        fields.push(&rest[..end]);
        rest = &rest[end..];
    }
    // Archives write `./usr/…` or `usr/…`; both install to /usr/….
    let path = rest.trim_start().trim_start_matches("./");
    assert!(
        !path.is_empty(),
        "a dpkg-deb --contents line with a path: {line:?}"
    );
    Entry {
        mode: fields[0].to_string(),
        owner: fields[1].to_string(),
        path: path.to_string(),
    }
}

/// The extracted desktop entry's keys, checked: an application named after the product,
/// running the packaged binary, with an icon the package installs at every size it lists.
fn check_desktop_entry(
    root: &Path,
    entries: &[Entry],
    config: &Config,
) -> BTreeMap<String, String> {
    let path = entries
        .iter()
        .find(|e| e.path.starts_with("usr/share/applications/") && e.path.ends_with(".desktop"))
        .map(|e| root.join(&e.path))
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut keys = BTreeMap::new();
    let mut in_entry = false;
    for line in text.lines() {
        if line.starts_with('[') {
            in_entry = line == "[Desktop Entry]";
        } else if let (true, Some((key, value))) = (in_entry, line.split_once('=')) {
            keys.insert(key.trim().to_string(), value.trim().to_string());
        }
    }
    let key = |name: &str| {
        keys.get(name)
            .unwrap_or_else(|| panic!("the desktop entry has no {name}:\n{text}"))
            .as_str()
    };
    assert_eq!(key("Type"), "Application", "desktop entry:\n{text}");
    assert_eq!(key("Name"), config.product_name, "desktop entry:\n{text}");
    assert!(!key("Categories").is_empty(), "desktop entry:\n{text}");
    let program = key("Exec").split_whitespace().next().unwrap_or_default();
    assert_eq!(
        program, BINARY,
        "Exec runs the packaged binary (found in PATH as /usr/bin/{BINARY}); desktop entry:\n{text}"
    );
    let icon = key("Icon");
    let mut sizes = Vec::new();
    let hicolor = root.join("usr/share/icons/hicolor");
    for dir in std::fs::read_dir(&hicolor).unwrap() {
        let dir = dir.unwrap();
        let name = dir.file_name().to_string_lossy().to_string();
        let png = dir.path().join("apps").join(format!("{icon}.png"));
        if png.exists() {
            // The directory says the size; the file must be that size.
            let (width, height) = png_size(&png);
            let side = name.trim_end_matches("@2");
            assert_eq!(
                side,
                format!("{width}x{height}"),
                "{} is a {width}x{height} PNG",
                png.display()
            );
            sizes.push(name);
        }
    }
    assert_eq!(
        sizes.len(),
        config.icons.len(),
        "the desktop entry's icon {icon} is installed at each listed size (found {sizes:?})"
    );
    keys
}

/// Every library the packaged binary links (readelf's NEEDED) belongs to a package that
/// Depends names or that one of those depends on directly, so `apt install` of the .deb
/// brings in everything the studio needs to start.
fn check_depends_cover_linked_libraries(binary: &Path, fields: &BTreeMap<String, String>) {
    let dynamic = run(Command::new("readelf").arg("--dynamic").arg(binary));
    let needed: Vec<&str> = dynamic
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| l.split('[').nth(1)?.split(']').next())
        .collect();
    assert!(
        needed.iter().any(|l| l.starts_with("libwebkit2gtk-4.1")),
        "{dynamic}"
    );
    let depends = package_names(&fields["Depends"]);
    let mut brought_in = depends.clone();
    for package in &depends {
        let theirs = run(Command::new("dpkg-query").args([
            "--show",
            "--showformat=${Depends}, ${Pre-Depends}",
            package,
        ]));
        brought_in.extend(package_names(&theirs));
    }
    for library in needed {
        let owners = try_run(
            Command::new("dpkg")
                .arg("--search")
                .arg(format!("*/{library}")),
        )
        .unwrap_or_else(|| panic!("the studio links {library}, which no installed package holds"));
        let packages: BTreeSet<String> = owners
            .lines()
            .filter_map(|l| l.rsplit_once(": ").map(|(packages, _)| packages))
            .flat_map(|packages| packages.split(", "))
            .map(|p| p.split(':').next().unwrap().trim().to_string())
            .collect();
        assert!(
            packages.iter().any(|p| brought_in.contains(p)),
            "the studio links {library}, from {packages:?}, which Depends ({}) does not bring in",
            fields["Depends"]
        );
    }
}

/// Starts the packaged binary with a home and workspace of its own and checks that its
/// window appears (a top-level window of that process, titled as configured, mapped, at
/// least the minimum size, with the window class the desktop entry's StartupWMClass names),
/// that its page draws, that its webview's web process runs, and that it is still up
/// [`STAYS_UP`] later.
fn check_window(
    binary: &Path,
    scratch: &Path,
    config: &Config,
    desktop: &BTreeMap<String, String>,
) {
    let home = scratch.join("home");
    let workspace = scratch.join("workspace");
    std::fs::create_dir_all(&home).unwrap();
    let log_path = scratch.join("studio.log");
    let log = File::create(&log_path).unwrap();
    // A home of its own: WebKit, at-spi and Mesa write their caches and data there
    // (Mesa only follows XDG_CACHE_HOME).
    let studio = Command::new(binary)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("UNIFIELD_WORKSPACE", &workspace)
        .env("NO_AT_BRIDGE", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("the packaged binary starts");
    let mut studio = Running(studio);
    let pid = studio.0.id();

    let deadline = Instant::now() + WINDOW_LIMIT;
    let window = loop {
        if let Some(status) = studio.0.try_wait().unwrap() {
            panic!(
                "the packaged studio exited ({status}) before showing its window; its output:\n{}",
                read_lossy(&log_path)
            );
        }
        if let Some(window) = mapped_window_of(pid, &config.title) {
            break window;
        }
        assert!(
            Instant::now() < deadline,
            "the packaged studio (pid {pid}) showed no mapped window titled {:?} within {WINDOW_LIMIT:?}; windows:\n{}\nits output:\n{}",
            config.title,
            run(Command::new("xwininfo").args(["-root", "-tree"])),
            read_lossy(&log_path)
        );
        std::thread::sleep(Duration::from_millis(250));
    };

    let geometry = run(Command::new("xwininfo").arg("-id").arg(&window));
    let number = |label: &str| -> u64 {
        geometry
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("xwininfo gives no {label}:\n{geometry}"))
    };
    assert!(
        number("Width:") >= config.min_width && number("Height:") >= config.min_height,
        "the window is at least {}x{}:\n{geometry}",
        config.min_width,
        config.min_height
    );
    let class = run(Command::new("xprop").args(["-id", &window, "WM_CLASS"]));
    let startup_class = &desktop["StartupWMClass"];
    assert!(
        class.contains(&format!("\"{startup_class}\"")),
        "the window's class matches the desktop entry's StartupWMClass={startup_class} (docks group the window under the entry): {class}"
    );

    // The page drawn: a window WebKit never paints (a missing asset, a renderer that cannot
    // start on this display) stays one colour.
    let colours = loop {
        let image = support::xwd::capture(Some(&window));
        let colours = image.as_ref().map_or(0, WindowImage::distinct_colours);
        if colours >= DRAWN_COLOURS {
            break colours;
        }
        assert!(
            Instant::now() < deadline,
            "the packaged studio's window shows {colours} colours after {WINDOW_LIMIT:?} (its page is not drawn); its output:\n{}",
            read_lossy(&log_path)
        );
        std::thread::sleep(Duration::from_millis(500));
    };

    std::thread::sleep(STAYS_UP);
    if let Some(status) = studio.0.try_wait().unwrap() {
        panic!(
            "the packaged studio exited ({status}) within {STAYS_UP:?} of showing its window; its output:\n{}",
            read_lossy(&log_path)
        );
    }
    assert!(
        children_named(pid, "WebKitWebProces"),
        "the studio's webview runs its WebKitWebProcess; its output:\n{}",
        read_lossy(&log_path)
    );
    assert!(
        workspace.join("workspace.sqlite").exists(),
        "the packaged studio opened its workspace in {}; its output:\n{}",
        workspace.display(),
        read_lossy(&log_path)
    );
    let shot = support::root().join("target/e2e-screenshots/package-window.png");
    if let Some(image) = support::xwd::capture(Some(&window)) {
        std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
        image.write_png(&shot);
        println!(
            "package: the window drew {colours} colours; after {STAYS_UP:?} more: {}",
            shot.display()
        );
    }
    drop(studio);
}

/// The id of a mapped top-level window titled `title` whose _NET_WM_PID is `pid` (other
/// tests' windows may share the display).
fn mapped_window_of(pid: u32, title: &str) -> Option<String> {
    let tree = run(Command::new("xwininfo").args(["-root", "-tree"]));
    let quoted = format!("\"{title}\"");
    tree.lines()
        .filter(|l| l.contains(&quoted))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .find(|id| {
            let owner = try_run(Command::new("xprop").args(["-id", id, "_NET_WM_PID"]))
                .and_then(|p| p.rsplit('=').next()?.trim().parse::<u32>().ok());
            owner == Some(pid)
                && try_run(Command::new("xwininfo").arg("-id").arg(id))
                    .is_some_and(|info| info.contains("Map State: IsViewable"))
        })
}

/// Whether a child process of `pid` has `name` as its command name (/proc/*/stat's comm,
/// at most 15 characters).
fn children_named(pid: u32, name: &str) -> bool {
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return false;
    };
    processes.flatten().any(|process| {
        let Ok(stat) = std::fs::read_to_string(process.path().join("stat")) else {
            return false;
        };
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            return false;
        };
        let comm = &stat[open + 1..close];
        let parent = stat[close + 1..].split_whitespace().nth(1);
        comm == name && parent == Some(pid.to_string().as_str())
    })
}

/// A child process stopped when dropped (also when a check panics): SIGTERM through
/// kill(1), so it can close its windows and web processes, then SIGKILL after 10 s.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.0.try_wait() {
            return;
        }
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a short command to its end and gives its standard output, or None if it could not
/// run or failed (for questions whose answer may change under the test, like a window
/// that closed between two calls).
fn try_run(command: &mut Command) -> Option<String> {
    let output = command.stdin(Stdio::null()).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs a short command to its end and gives its standard output; a failure panics with
/// the command and its standard error.
fn run(command: &mut Command) -> String {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_else(|e| format!("(cannot read {}: {e})", path.display()))
}
