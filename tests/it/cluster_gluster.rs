//! Issue 14, two hosts on one network filesystem: `scripts/gluster/two-hosts.sh` makes a GlusterFS server and
//! two hosts (network namespaces with their own hostnames), each mounting the volume with the real FUSE client.
//! The spool lives on the volume; both hosts run every stage in poll mode (host-a also the gateway), so every
//! queue has claimers on two hosts racing through the network filesystem. While host-b holds a proof it
//! crashes: its processes are killed, then its mount. host-a's `frispool recover` takes the lease back once it
//! runs out, and the blocks are proven with every job done exactly once and nothing lost.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use frispool_pipeline::{stages, PROVE, QUEUES};
use frispool_spool::{Spool, State, Ticket};

use crate::cluster::{self, preflight, run, tails, wait_for, Need};
use crate::command::{binary, SEQUENCER};
use crate::pipeline::{get, names_in};
use crate::spool::MachineLock;

/// Workers' lease: short so that the crashed host's job comes back within the test, long enough for a
/// heartbeat (every lease/3) over a loaded FUSE mount.
const LEASE: &str = "20";

/// The two hosts, the server and every process this test started; dropping it kills the processes, then
/// takes the hosts and the server down.
struct Hosts {
    dir: tempfile::TempDir,
    logs: tempfile::TempDir,
    procs: Vec<(String, String, Child)>,
}

impl Hosts {
    fn script() -> String {
        cluster::repo().join("scripts/gluster/two-hosts.sh").display().to_string()
    }

    fn up() -> Hosts {
        let dir = tempfile::Builder::new().prefix("gluster-test-").tempdir().unwrap();
        let logs = tempfile::Builder::new().prefix("gluster-logs-").tempdir().unwrap();
        let h = Hosts { dir, logs, procs: Vec::new() };
        let out = run(&Hosts::script(), &["up", h.path().to_str().unwrap()], Duration::from_secs(120));
        assert!(out.status.success(), "two-hosts.sh up: {}\n{}", crate::command::text(&out), h.server_logs());
        h
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The spool as `host` mounts it.
    fn spool(&self, host: &str) -> PathBuf {
        self.path().join(host).join("spool")
    }

    /// `bin args` as `host`, on its mount of the spool, logging to `<logs>/<name>.log`.
    fn start(&mut self, host: &str, name: &str, bin: &str, args: &[&str]) {
        let log = std::fs::File::create(self.logs.path().join(format!("{name}.log"))).unwrap();
        let child = Command::new(Hosts::script())
            .args(["run", self.path().to_str().unwrap(), host, bin])
            .args(args)
            .env("FRISPOOL_SPOOL", self.spool(host))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.procs.push((host.to_string(), name.to_string(), child));
    }

    /// A command as `host` that must succeed; its stdout.
    fn must(&self, host: &str, args: &[&str]) -> String {
        let mut full = vec!["run", self.path().to_str().unwrap(), host];
        full.extend_from_slice(args);
        let out = run(&Hosts::script(), &full, Duration::from_secs(600));
        assert!(out.status.success(), "{host}: {args:?}: {}\n{}", crate::command::text(&out), self.server_logs());
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Kills every process of `host` (SIGKILL, reaped), then its mount (`two-hosts.sh crash`).
    fn crash(&mut self, host: &str) -> Vec<String> {
        let mut killed = Vec::new();
        for (h, name, child) in self.procs.iter_mut().filter(|(h, _, _)| h == host) {
            let _ = child.kill();
            let _ = child.wait();
            killed.push(format!("{h}/{name}"));
        }
        self.procs.retain(|(h, _, _)| h != host);
        let out = run(&Hosts::script(), &["crash", self.path().to_str().unwrap(), host], Duration::from_secs(60));
        assert!(out.status.success(), "two-hosts.sh crash {host}: {}", crate::command::text(&out));
        killed
    }

    /// Panics with the logs if a process has exited (they all run in watch mode).
    fn assert_running(&mut self) {
        for (h, name, child) in &mut self.procs {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("{h}/{name} exited with {status}\n{}", tails(self.logs.path(), ".log", 30));
            }
        }
    }

    fn server_logs(&self) -> String {
        format!("{}{}", tails(self.path(), ".log", 20), tails(&self.path().join("server/log"), ".log", 20))
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        for (_, _, child) in &mut self.procs {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = run(&Hosts::script(), &["down", self.path().to_str().unwrap()], Duration::from_secs(120));
    }
}

/// The sequencer on the server's address, so that both hosts' namespaces reach it, and its store; killed on
/// drop.
struct Sequencer(Child, #[allow(dead_code)] tempfile::TempDir);

impl Drop for Sequencer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_sequencer(store: tempfile::TempDir, log: &Path) -> (Sequencer, String) {
    let mut child = Command::new(SEQUENCER)
        .arg("--store")
        .arg(store.path())
        .args(["serve", "--listen", "10.77.14.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let seq = Sequencer(child, store);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    loop {
        match rx.recv_timeout(Duration::from_secs(240)) {
            Ok(line) => {
                if let Some(url) = line.strip_prefix("frispool-sequencer: listening on ") {
                    return (seq, url.trim().to_string());
                }
            }
            Err(_) => {
                panic!("the sequencer printed no `listening on` line within 240 s: {}", crate::pipeline::tail(log, 20))
            }
        }
    }
}

/// Every job key of every queue, with the states it is found in.
fn states(spool: &Spool) -> BTreeMap<String, Vec<State>> {
    let mut m: BTreeMap<String, Vec<State>> = BTreeMap::new();
    for q in &QUEUES {
        for s in State::ALL {
            for name in names_in(&spool.state_dir(q, s)).into_iter().filter(|n| !n.ends_with(".err")) {
                m.entry(format!("{q}/{}", name.split('@').next().unwrap())).or_default().push(s);
            }
        }
    }
    m
}

/// How many done jobs (all queues) each host finished, by the host its done record names.
fn done_by(spool: &Spool) -> BTreeMap<String, usize> {
    let mut by_host: BTreeMap<String, usize> = BTreeMap::new();
    for q in &QUEUES {
        for t in spool.done_tickets(q).unwrap_or_default() {
            if let Some(d) = &t.done {
                *by_host.entry(d.host.clone()).or_default() += 1;
            }
        }
    }
    by_host
}

#[test]
fn two_hosts_on_glusterfs_prove_blocks_once_each_and_survive_a_host_crash() {
    let needs = [
        Need::Root,
        Need::Path("/dev/fuse", "FUSE, for the GlusterFS client"),
        Need::Program("glusterd", "glusterfs-server"),
        Need::Program("glusterfs", "glusterfs-client"),
        Need::Program("nsenter", "util-linux"),
        Need::Program("ip", "iproute2"),
        Need::Program("hostname", "hostname"),
    ];
    if !preflight("cluster_gluster", &needs) {
        return;
    }
    let _machine = MachineLock::exclusive();
    let t0 = Instant::now();
    let step = |what: &str| eprintln!("cluster_gluster: {:>5.1} s {what}", t0.elapsed().as_secs_f64());
    let mut hosts = Hosts::up();
    step("GlusterFS server and two hosts up");

    // The sequencer derives its trust root (every circuit built) while keygen builds them for the spool.
    let store = tempfile::Builder::new().prefix("sequencer-gluster-").tempdir().unwrap();
    let out = Command::new(SEQUENCER)
        .arg("--store")
        .arg(store.path())
        .args(["produce", "--blocks", "2", "--txs", "64", "--seed", "41"])
        .output()
        .unwrap();
    assert!(out.status.success(), "produce: {}", crate::command::text(&out));
    let seq_log = hosts.logs.path().join("sequencer.log");
    let sequencer = std::thread::spawn(move || start_sequencer(store, &seq_log));

    // The spool on the volume, made and keyed from host-a; host-b sees it through its own mount.
    let admin = binary("frispool");
    let spool_a = hosts.spool("host-a");
    hosts.must("host-a", &[admin, "--spool", spool_a.to_str().unwrap(), "init"]);
    hosts.must("host-a", &[admin, "--spool", spool_a.to_str().unwrap(), "keygen"]);
    step("spool and keys written through host-a's mount");
    let (_sequencer, url) = sequencer.join().expect("starting the sequencer");
    step("sequencer up");
    let spool = Spool::open(&spool_a, &QUEUES).unwrap();

    // Every stage on both hosts (the gateway on host-a only), poll mode: inotify sees no other host's writes.
    let worker = ["--poll", "--rescan-secs", "1", "--lease-secs", LEASE, "--fault-backoff-secs", "0.5"];
    for host in ["host-a", "host-b"] {
        for s in stages(&url, 1.0, 1, 0) {
            if s.binary == "frispool-gateway" && host == "host-b" {
                continue;
            }
            let args: Vec<&str> = s.args.iter().map(String::as_str).chain(worker).collect();
            hosts.start(host, &format!("{host}-{}", s.name), binary(s.binary), &args);
        }
    }
    let logs = hosts.logs.path().to_path_buf();
    let context = || {
        format!(
            "{}\n{}",
            tails(&logs, ".log", 25),
            crate::command::tree(&spool_a).lines().filter(|l| !l.contains("keys/")).collect::<Vec<_>>().join("\n")
        )
    };

    // host-b crashes while it holds a proof, once it has finished a job of its own (so both hosts' work is in
    // the result): first its processes, then its mount.
    let prove_in_progress = spool.state_dir(&PROVE, State::InProgress);
    let mut host_b_worked = false;
    let held = wait_for(
        "host-b to finish a job, then hold a prove job",
        Duration::from_secs(400),
        Duration::from_millis(100),
        || {
            hosts.assert_running();
            host_b_worked = host_b_worked || done_by(&spool).contains_key("host-b");
            let held = names_in(&prove_in_progress).into_iter().find(|n| n.contains("@host-b."));
            held.filter(|_| host_b_worked)
        },
        context,
    );
    let key = held.split('@').next().unwrap().to_string();
    let killed = hosts.crash("host-b");
    step(&format!("host-b crashed holding {held}: killed {} processes, then its mount", killed.len()));
    assert!(names_in(&prove_in_progress).contains(&held), "the crashed host's lease is still held: {held}");

    // host-a's housekeeping, as cron or the Slurm recover job runs it: the lease comes back once it ran out.
    let mut recovered_after = None;
    for &b in &[1u64, 2] {
        wait_for(
            &format!("block {b} proven by host-a after host-b's crash"),
            Duration::from_secs(420),
            Duration::from_secs(1),
            || {
                hosts.assert_running();
                let out = hosts.must(
                    "host-a",
                    &[
                        admin,
                        "--spool",
                        spool_a.to_str().unwrap(),
                        "recover",
                        "--lease-secs",
                        LEASE,
                        "--tmp-age-secs",
                        LEASE,
                    ],
                );
                if recovered_after.is_none() && !names_in(&prove_in_progress).contains(&held) {
                    recovered_after = Some(t0.elapsed());
                    step(&format!("recover took {key} back from host-b: {}", out.trim()));
                }
                let (code, body) = get(&format!("{url}/blocks/{b}"));
                assert_eq!(code, 200, "GET /blocks/{b}: {body}");
                body.contains("\"proven\"").then_some(())
            },
            context,
        );
    }
    step("both blocks proven");

    // Exactly once: every job of every queue is in done/ and nowhere else, nothing failed, no tmp file left
    // (host-b's half-written files included: recover removed them).
    for (job, st) in states(&spool) {
        assert_eq!(st, vec![State::Done], "job {job} is in {st:?}\n{}", context());
    }
    for q in &QUEUES {
        assert_eq!(names_in(&spool.tmp_dir(q)), Vec::<String>::new(), "{q}/tmp/ left behind");
    }
    let by_host = done_by(&spool);
    let done: Ticket = Ticket::read(&spool.state_dir(&PROVE, State::Done).join(&key)).unwrap();
    assert_eq!(done.done.as_ref().unwrap().host, "host-a", "the crashed host's job was finished by host-a: {done:?}");
    assert!(by_host.get("host-b").copied().unwrap_or(0) > 0, "host-b finished jobs before its crash: {by_host:?}");
    step(&format!("every job done once; done by host: {by_host:?}"));
    for b in [1u64, 2] {
        let (_, body) = get(&format!("{url}/blocks/{b}"));
        let rec: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(rec["handouts"], 1, "block {b} was handed out once: {rec}");
    }
}
