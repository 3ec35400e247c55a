//! The integration tests: the real binaries on fresh temp spools, in one test binary (plonky2 is linked
//! once). `spool_*` drive the spool protocol through the synthetic stage; `pipeline_*` and `trust_root`
//! run whole pipelines, one at a time (`spool::MachineLock`).

mod cluster;
mod command;
mod pipeline;
mod spool;

mod cluster_cron;
mod cluster_gluster;
mod cluster_slurm;
mod fleet_filters;
mod fleet_memory;
mod fleet_metrics;
mod fleet_report;
mod fleet_scale;
mod fleet_upgrade;
mod make_prove;
mod pipeline_e2e;
mod pipeline_fault;
mod pipeline_full_disk;
mod pipeline_sig;
mod pipeline_wvg;
mod spool_bad_input;
mod spool_crash;
mod spool_full_disk;
mod spool_group_commit;
mod spool_lease;
mod spool_race;
mod trust_root;
