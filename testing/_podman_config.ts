/**
 * The `containers.conf` and `storage.conf` a test podman service runs with:
 * everything it writes stays in its own directory, so services of parallel
 * tests, and the user's own containers, never share state. Private to
 * `testing/`.
 */

/** The directories of one service. */
export interface PodmanDirs {
  /** Image and container storage (`--root`). */
  root: string;
  /** Runtime state (`--runroot`). */
  runroot: string;
  /** libpod's temporary state: locks, exit files, events (`--tmpdir`). */
  tmp: string;
}

/**
 * `containers.conf`: runc with explicit ulimits (the only way containers run
 * on the build machines), file locks in its own tmp dir instead of the
 * host-wide shared-memory lock segment, events and logs in files, no
 * network namespace (no bridge or firewall rule left behind), cgroupfs.
 */
export function renderContainersConf(dirs: PodmanDirs, runc: string): string {
  return [
    "[containers]",
    'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]',
    'log_driver = "k8s-file"',
    'netns = "none"',
    "",
    "[engine]",
    'runtime = "runc"',
    'cgroup_manager = "cgroupfs"',
    'lock_type = "file"',
    'events_logger = "file"',
    `events_logfile_path = ${tomlString(`${dirs.tmp}/events.log`)}`,
    `tmp_dir = ${tomlString(dirs.tmp)}`,
    "",
    "[engine.runtimes]",
    `runc = [${tomlString(runc)}]`,
    "",
  ].join("\n");
}

/** `storage.conf`: overlay under its own root and runroot. */
export function renderStorageConf(dirs: PodmanDirs): string {
  return [
    "[storage]",
    'driver = "overlay"',
    `graphroot = ${tomlString(dirs.root)}`,
    `runroot = ${tomlString(dirs.runroot)}`,
    "",
  ].join("\n");
}

/** A TOML basic string (JSON's escapes are valid TOML for paths). */
function tomlString(value: string): string {
  return JSON.stringify(value);
}
