"""A real SLURM cluster of one node on this machine, from Debian's packages (``make slurm``): munge, MariaDB,
slurmdbd (the accounting ``sacct`` reads), slurmctld and slurmd, each started with a configuration written in a
folder of the test's, and stopped after it.

Jobs run as the submitting user in their working directory, like on a cluster whose login and compute nodes
share a file system. Memory requests are enforced (``CR_Core_Memory``; a job using more than it asked for is
killed by the accounting poll, ``OverMemoryKill``), so that what the resource estimator asks for matters.

The configuration goes where SLURM's commands look for it, ``/etc/slurm`` (Snakemake's job steps call ``srun``
with the ``SLURM_*`` variables removed, ``SLURM_CONF`` among them); a configuration found there that these tests
did not write is never overwritten. The state, spool, logs and database stay in the test's folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

DAEMONS = ("munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd")
CONFIGURATION = Path("/etc/slurm")
MARKER = "# written by palliative-coverage's tests (tests/slurm.py)"
DATABASE_USER, DATABASE_PASSWORD = "slurm", "coverage-tests"


def available() -> bool:
    """Whether SLURM's daemons and commands are installed (``make slurm``)."""
    return all(shutil.which(name) for name in (*DAEMONS, "sbatch", "sacct", "squeue", "scancel", "mysql"))


def _memory_mb() -> int:
    """The node's memory for SLURM: what the machine has, less 2 GB for the daemons and the controller's Python."""
    with open("/proc/meminfo", encoding="ascii") as handle:
        total_kb = int(next(line for line in handle if line.startswith("MemTotal")).split()[1])
    return total_kb // 1024 - 2048


class SlurmCluster:
    """One node (this machine's name), one partition ``main``, accounting in MariaDB; use as a context manager.

    ``environment`` holds ``SLURM_CONF`` for the commands (sbatch, sacct, squeue, scancel) and for Snakemake's
    executor, which calls them.
    """

    def __init__(self, folder: Path, cpus: int | None = None):
        self.folder = folder
        self.host = socket.gethostname()
        self.cpus = cpus or os.cpu_count()
        self.memory_mb = _memory_mb()
        self.processes: list[subprocess.Popen] = []
        self.conf = CONFIGURATION / "slurm.conf"
        self.environment = {**os.environ, "SLURM_CONF": str(self.conf)}

    def __enter__(self) -> SlurmCluster:
        for sub in ("state", "spool", "log", "run", "mysql", "mysqld"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        for path in (self.conf, CONFIGURATION / "slurmdbd.conf"):
            if path.exists() and MARKER not in path.read_text(encoding="utf-8", errors="replace"):
                raise RuntimeError(f"{path} holds a SLURM configuration these tests did not write: not overwritten")
        CONFIGURATION.mkdir(parents=True, exist_ok=True)
        try:
            self._start_munge()
            self._start_database()
            self._write_configuration()
            self._start("slurmdbd", ["slurmdbd", "-D"])
            self._wait(lambda: self._run(["sacctmgr", "-n", "list", "cluster"], check=False).returncode == 0, "slurmdbd")
            self._start("slurmctld", ["slurmctld", "-D", "-c", "-i", "-f", str(self.conf)])
            self._wait(lambda: self._run(["scontrol", "ping"], check=False).returncode == 0, "slurmctld")
            self._start("slurmd", ["slurmd", "-D", "-f", str(self.conf)])
            self._wait(self._node_idle, "slurmd")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_) -> None:
        """Stop the daemons one after another, the last started first (slurmdbd before its database)."""
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for path in (self.conf, CONFIGURATION / "slurmdbd.conf"):
            path.unlink(missing_ok=True)

    # Commands -------------------------------------------------------------------------------------------------

    def _run(self, command: list[str], check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(command, env=self.environment, capture_output=True, text=True, check=check, timeout=60)

    def sacct(self, *fields: str, since: str = "now-1hour") -> list[dict[str, str]]:
        """SLURM's own records of the jobs since ``since``, every step included, one dict per line."""
        output = self._run(["sacct", "--parsable2", "--noheader", "--allusers", f"--starttime={since}",
                            f"--format={','.join(fields)}"]).stdout  # fmt: skip
        return [dict(zip(fields, line.split("|"), strict=True)) for line in output.splitlines() if line]

    def queued(self) -> list[dict[str, str]]:
        """The jobs pending or running: ``id``, ``state``, ``comment``."""
        output = self._run(["squeue", "--noheader", "--format=%i|%T|%k"]).stdout
        return [dict(zip(("id", "state", "comment"), line.split("|"), strict=True)) for line in output.splitlines()]

    def cancel(self, job_id: str) -> None:
        """Kill a job as an operator would (``scancel``)."""
        self._run(["scancel", job_id])

    # Start-up -------------------------------------------------------------------------------------------------

    def _start(self, name: str, command: list[str]) -> None:
        log = open(self.folder / "log" / f"{name}.out", "w", encoding="utf-8")  # noqa: SIM115 (open while it runs)
        self.processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self.environment))

    def _wait(self, ready, name: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{name}: a daemon stopped ({process.args[0]}), see {self.folder / 'log'}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start within {timeout_s} s, see {self.folder / 'log'}")
            time.sleep(0.5)

    def _node_idle(self) -> bool:
        state = self._run(["sinfo", "--noheader", "--format=%T"], check=False).stdout.split()
        return state[:1] == ["idle"]

    def _start_munge(self) -> None:
        """munged with the package's key, its socket in the test's folder (the commands find it through the
        default path, so a running system munged is used when there is one)."""
        if self._run(["munge", "-n"], check=False).returncode == 0:
            return
        socket_folder = Path("/run/munge")
        socket_folder.mkdir(parents=True, exist_ok=True)
        shutil.chown(socket_folder, "munge", "munge")
        self._start("munged", ["runuser", "-u", "munge", "--", "munged", "--foreground"])
        self._wait(lambda: self._run(["munge", "-n"], check=False).returncode == 0, "munged")

    def _start_database(self) -> None:
        """A MariaDB of the test's own (data in its folder, its own socket and loopback port), with slurmdbd's user."""
        data, sock = self.folder / "mysql", self.folder / "mysqld" / "mysqld.sock"
        self.database_socket, self.database_port = sock, _free_port()
        subprocess.run(["mariadb-install-db", f"--datadir={data}", "--user=root", "--auth-root-authentication-method=normal",
                        "--skip-test-db"], capture_output=True, check=True, timeout=120)  # fmt: skip
        self._start("mariadbd", ["mariadbd", f"--datadir={data}", f"--socket={sock}", "--bind-address=127.0.0.1",
                                 f"--port={self.database_port}", "--user=root",
                                 f"--pid-file={self.folder / 'mysqld' / 'mysqld.pid'}"])  # fmt: skip
        self._wait(lambda: self._mysql("SELECT 1").returncode == 0, "mariadbd")
        for host in ("localhost", "127.0.0.1"):
            self._mysql(f"CREATE USER IF NOT EXISTS '{DATABASE_USER}'@'{host}' IDENTIFIED BY '{DATABASE_PASSWORD}'; "
                        f"GRANT ALL ON slurm_acct_db.* TO '{DATABASE_USER}'@'{host}';")  # fmt: skip

    def _mysql(self, statement: str) -> subprocess.CompletedProcess:
        return subprocess.run(["mysql", f"--socket={self.database_socket}", "-u", "root", "-e", statement],
                              capture_output=True, text=True, timeout=30)  # fmt: skip

    def _write_configuration(self) -> None:
        folder = self.folder
        dbd = CONFIGURATION / "slurmdbd.conf"
        dbd.write_text("\n".join([MARKER,
            "AuthType=auth/munge", "DbdHost=localhost", f"DbdPort={_free_port()}", "SlurmUser=root",
            f"LogFile={folder / 'log' / 'slurmdbd.log'}", f"PidFile={folder / 'run' / 'slurmdbd.pid'}",
            "StorageType=accounting_storage/mysql", "StorageHost=127.0.0.1", f"StoragePort={self.database_port}",
            f"StorageUser={DATABASE_USER}", f"StoragePass={DATABASE_PASSWORD}", "StorageLoc=slurm_acct_db",
        ]) + "\n", encoding="utf-8")  # fmt: skip
        dbd.chmod(0o600)
        port = next(line.split("=")[1] for line in dbd.read_text().splitlines() if line.startswith("DbdPort"))
        self.conf.write_text("\n".join([
            MARKER, "ClusterName=coverage", f"SlurmctldHost={self.host}", "SlurmUser=root", "AuthType=auth/munge",
            f"SlurmctldPort={_free_port()}", f"SlurmdPort={_free_port()}",
            f"StateSaveLocation={folder / 'state'}", f"SlurmdSpoolDir={folder / 'spool'}",
            f"SlurmctldPidFile={folder / 'run' / 'slurmctld.pid'}", f"SlurmdPidFile={folder / 'run' / 'slurmd.pid'}",
            f"SlurmctldLogFile={folder / 'log' / 'slurmctld.log'}", f"SlurmdLogFile={folder / 'log' / 'slurmd.log'}",
            "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none", "SwitchType=switch/none",
            "MpiDefault=none", "ReturnToService=2", "SchedulerType=sched/backfill",
            "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core_Memory",
            "JobAcctGatherType=jobacct_gather/linux", "JobAcctGatherFrequency=1", "JobAcctGatherParams=OverMemoryKill",
            "AccountingStorageType=accounting_storage/slurmdbd", "AccountingStorageHost=localhost",
            f"AccountingStoragePort={port}", "AccountingStoreFlags=job_comment", "MinJobAge=600",
            "KillWait=5", "InactiveLimit=0", "SlurmctldTimeout=30", "SlurmdTimeout=30",
            f"NodeName={self.host} CPUs={self.cpus} RealMemory={self.memory_mb} State=UNKNOWN",
            f"PartitionName=main Nodes={self.host} Default=YES MaxTime=INFINITE State=UP",
        ]) + "\n", encoding="utf-8")  # fmt: skip


def _free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
