using SparseMpi.Tests.Cli;
using SparseMpi.Tests.Support;

namespace SparseMpi.Tests.Reliability;

/// <summary>
/// The bad-input matrix of issue 17 as one table (item 9): options of every verb, data files, checkpoints, MPI
/// libraries and MPMD launches whose ranks disagree. Each case must give exactly one "sparsempi: error:" line
/// containing the expected text, a non-zero exit, no stack trace, no hang (the runner kills and fails anything past
/// its timeout) and nothing written: the case's work directory (holding its fixtures and the --out it names) is the
/// same before and after, file for file, byte count and modification time.
/// <para>Not here: MPMD launches whose ranks differ only in run length, --out/--resume or fit-mpi-cost options
/// (issue 17 rows 1-4), which the cross-rank hash of all options will cover.</para>
/// </summary>
[TestFixture, Category("mpi")]
public class BadInputMatrixTests
{
    /// <summary>
    /// One row. Placeholders in <paramref name="Command"/> (and in <paramref name="Mpmd"/>): {w} the case's work
    /// directory, {out} a directory in it that must not appear, {run} a copy of a finished run with a checkpoint.
    /// </summary>
    public sealed record Case(string Name, string Command, string Expected, Launcher Launcher = Launcher.None, int Ranks = 1,
        Action<string>? Setup = null, IReadOnlyDictionary<string, string>? Env = null, string[]? Mpmd = null)
    {
        public override string ToString() => Name;
    }

    static string _finished = null!;

    /// <summary>A finished 1-rank logreg run with its checkpoint at step 10, copied into the cases that need one.</summary>
    [OneTimeSetUp]
    public void FinishedRun()
    {
        _finished = Path.Combine(Path.GetTempPath(), "sparsempi-matrix-" + Guid.NewGuid().ToString("N")[..12]);
        var r = ProgramRunner.Run($"train --model logreg --max-steps 10 --log-every 5 --checkpoint-every 10 --out {_finished}", 1, Launcher.None, timeoutSeconds: 120);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
    }

    [OneTimeTearDown]
    public void Remove()
    {
        try { Directory.Delete(_finished, recursive: true); } catch (IOException) { }
    }

    static Action<string> CopyRun(Action<string>? then = null) => w =>
    {
        string run = Path.Combine(w, "run");
        foreach (string dir in Directory.GetDirectories(_finished, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(_finished, run));
        Directory.CreateDirectory(run);
        foreach (string file in Directory.GetFiles(_finished, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(_finished, run));
        then?.Invoke(run);
    };

    static string Latest(string run) => CheckpointFiles.LatestDirectory(run);

    /// <summary>A data directory with the four Fashion-MNIST files, <paramref name="damage"/> applied to one of them.</summary>
    static Action<string> DataDirectory(string damaged, Func<byte[], byte[]> damage) => w =>
    {
        string data = Path.Combine(w, "data");
        Directory.CreateDirectory(data);
        foreach (string name in (string[])["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
        {
            string source = Path.Combine("/usr/share/datasets/fashion-mnist", name);
            string target = Path.Combine(data, name);
            bool gz = !File.Exists(source);
            if (gz) { source += ".gz"; target += ".gz"; }
            byte[] bytes = File.ReadAllBytes(source);
            if (name == damaged)
            {
                if (gz) { target = target[..^3]; bytes = Gunzip(bytes); }
                bytes = damage(bytes);
            }
            File.WriteAllBytes(target, bytes);
        }
    };

    static byte[] Gunzip(byte[] gz)
    {
        using var input = new System.IO.Compression.GZipStream(new MemoryStream(gz), System.IO.Compression.CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    static readonly Dictionary<string, string> NotMpi = new() { ["SPARSEMPI_MPI_LIB"] = "/usr/lib/x86_64-linux-gnu/libz.so.1" };

    public static IEnumerable<Case> Cases()
    {
        const string T = "train --model logreg --out {out}";
        const string H = "hogwild --model logreg --out {out}";
        // train: options
        yield return new("train unknown model", "train --model resnet9000 --out {out}", "unknown model 'resnet9000'");
        yield return new("train negative lr", $"{T} --lr -0.1", "--lr must be a positive finite number");
        yield return new("train zero lr", $"{T} --lr 0", "--lr must be a positive finite number");
        yield return new("train lr inf", $"{T} --lr inf", "option '--lr' must be a finite number (got 'inf')");
        yield return new("train lr Infinity", $"{T} --lr Infinity", "--lr must be a positive finite number (got Infinity)");
        yield return new("train lr beyond float", $"{T} --lr 1e39", "--lr must be a positive finite number");
        yield return new("train lr not a number", $"{T} --lr fast", "option '--lr' has a value of the wrong type or out of range (got 'fast')");
        yield return new("train momentum 1", $"{T} --momentum 1", "--momentum must be in [0, 1)");
        yield return new("train batch size 0", $"{T} --batch-size 0", "--batch-size must be at least 1");
        yield return new("train eval batch size 0", $"{T} --eval-batch-size 0", "--eval-batch-size must be at least 1");
        yield return new("train epochs 0", $"{T} --epochs 0", "--epochs must be at least 1");
        yield return new("train epochs fractional", $"{T} --epochs 1.5", "option '--epochs' has a value of the wrong type");
        yield return new("train negative max-steps", $"{T} --max-steps -1", "--max-steps must not be negative");
        yield return new("train log-every 0", $"{T} --log-every 0", "--log-every must be at least 1");
        yield return new("train negative checkpoint interval", $"{T} --checkpoint-every -5", "--checkpoint-every must not be negative");
        yield return new("train unknown compressor", $"{T} --compressor gzip", "unknown compressor 'gzip'");
        yield return new("train density 0", $"{T} --density 0", "--density must be in (0, 1]");
        yield return new("train density above 1", $"{T} --density 1.5", "--density must be in (0, 1]");
        yield return new("train error-feedback not a boolean", $"{T} --error-feedback maybe", "--error-feedback must be true or false");
        yield return new("train momentum-masking not a boolean", $"{T} --momentum-masking yes", "--momentum-masking must be true or false");
        yield return new("train threshold compressor without tau", $"{T} --compressor threshold", "--compressor threshold needs --threshold");
        yield return new("train negative threshold", $"{T} --compressor threshold --threshold -1", "--threshold must be a finite number >= 0");
        yield return new("train threshold ignored by topk", $"{T} --threshold 0.1", "--compressor topk would ignore it");
        yield return new("train unknown index format", $"{T} --index-format gzip", "unknown wire format");
        yield return new("train unknown value format", $"{T} --value-format fp8", "unknown wire format");
        yield return new("train unknown k rule", $"{T} --k-rule sometimes", "--k-rule must be fixed or dynamic");
        yield return new("train unknown cost model", $"{T} --cost-model bytes", "unknown cost model 'bytes'");
        yield return new("train dynamic k dense", $"{T} --k-rule dynamic --compressor none", "--k-rule chooses a compressor's k; --compressor none sends every entry");
        yield return new("train dynamic k randomk", $"{T} --k-rule dynamic --compressor randomk", "--k-rule dynamic needs --compressor topk or topk-approx");
        yield return new("train dynamic k with fixed k", $"{T} --k-rule dynamic --k 10", "--k is the fixed rule's k");
        yield return new("train k-max without dynamic rule", $"{T} --k-max 100", "--k-max bounds the dynamic rule");
        yield return new("train header bytes 0", $"{T} --header-bytes 0", "--header-bytes must be at least 1");
        yield return new("train packet not above its header", $"{T} --packet-bytes 64 --packet-header-bytes 64", "--packet-bytes (64) must exceed --packet-header-bytes (64)");
        yield return new("train mpi alpha alone", $"{T} --mpi-alpha 1e-6", "--mpi-alpha and --mpi-beta go together");
        yield return new("train negative mpi alpha", $"{T} --mpi-alpha -1 --mpi-beta 0", "--mpi-alpha must be a positive number of seconds");
        yield return new("train unknown exchange", $"{T} --exchange ring", "--exchange must be one of allgather, allreduce, ssar-rd, ssar-split, dsar-split");
        yield return new("train unknown hierarchy", $"{T} --hierarchy bogus", "--hierarchy must be one of none, node (got 'bogus')");
        yield return new("train hierarchy dense", $"{T} --hierarchy node --compressor none", "--hierarchy groups a compressor's selections by node; --compressor none sums the dense gradient");
        yield return new("train wire format with allreduce", $"{T} --exchange allreduce --index-format delta", "--exchange allreduce sends dense fp32");
        yield return new("train wire format dense", $"{T} --compressor none --value-format fp16", "--compressor none sends dense fp32");
        yield return new("train unknown device", $"{T} --device tpu", "unknown --device 'tpu'");
        yield return new("train unknown kernel", $"{T} --select-kernel asm", "unknown --select-kernel 'asm'");
        yield return new("train simd kernel on cuda", $"{T} --device cuda --select-kernel simd", "--select-kernel simd works on host memory");
        yield return new("train torch kernel randomk", $"{T} --select-kernel torch --compressor randomk", "--select-kernel torch implements");
        yield return new("train negative warm-up", $"{T} --warmup-epochs -1", "--warmup-epochs must not be negative");
        yield return new("train warm-up dense", $"{T} --compressor none --warmup-epochs 2", "--compressor none has none");
        yield return new("train negative stall timeout", $"{T} --stall-timeout -1", "--stall-timeout must be a number of seconds");
        yield return new("train k beyond d", $"{T} --k 100000", "--k 100000 is outside 1..d = 7850");
        yield return new("train density rounds to k 0", $"{T} --density 1e-9", "gives k = round(d * density) = 0");
        yield return new("train batch larger than the shard", $"{T} --batch-size 70000", "batch size 70000");
        yield return new("train resume of no directory", "train --resume {w}/nowhere", "--resume {w}/nowhere: no such run directory");
        yield return new("train stray argument", $"{T} --epochs 2 5", "unexpected argument '5'");
        yield return new("train unknown option", $"{T} --bogus", "unknown option '--bogus'");
        yield return new("train trailing option without value", "train --out {out} --epochs", "option '--epochs' needs a value");
        yield return new("train option twice", $"{T} --lr 0.1 --lr 0.2", "option '--lr' is given twice");
        yield return new("train k twice", $"{T} -k 5 --k 6", "option '--k' is given twice");
        yield return new("train seed not a number", $"{T} --seed abc", "option '--seed' has a value of the wrong type");
        yield return new("train out is a file", "train --model logreg --out {w}/a-file/sub", "is a file, not a directory",
            Setup: w => File.WriteAllText(Path.Combine(w, "a-file"), ""));
        yield return new("train out not writable", "train --model logreg --out /proc/sparsempi-run", "cannot write in /proc");
        yield return new("unknown verb", "frobnicate --out {out}", "unknown verb 'frobnicate'");
        yield return new("no verb", "", "no verb given");
        // hogwild: options
        yield return new("hogwild negative updates", $"{H} --updates -1", "--updates must not be negative");
        yield return new("hogwild updates and epochs", $"{H} --updates 10 --epochs 1", "give --updates or --epochs, not both");
        yield return new("hogwild delay beyond a minute", $"{H} --delay-ms 70000", "--delay-ms must be between 0 and 60000");
        yield return new("hogwild delay infinity", $"{H} --delay-ms infinity", "--delay-ms must be between 0 and 60000");
        yield return new("hogwild in-flight without defer", $"{H} --in-flight 2", "--in-flight needs --delay-mode defer");
        yield return new("hogwild in-flight and delay", $"{H} --delay-mode defer --in-flight 2 --delay-ms 5", "give --delay-ms or --in-flight, not both");
        yield return new("hogwild unknown delay distribution", $"{H} --delay-dist gauss", "--delay-dist must be one of");
        yield return new("hogwild unknown delay mode", $"{H} --delay-mode later", "--delay-mode must be one of");
        yield return new("hogwild unknown lr policy", $"{H} --lr-policy adaptive", "--lr-policy must be one of");
        yield return new("hogwild unknown update mode", $"{H} --update locked", "--update must be one of");
        yield return new("hogwild max in flight 0", $"{H} --max-in-flight 0", "--max-in-flight must be at least 1");
        yield return new("hogwild in-flight above its maximum", $"{H} --delay-mode defer --in-flight 100 --max-in-flight 10", "--in-flight 100 exceeds --max-in-flight 10");
        yield return new("hogwild negative eval interval", $"{H} --eval-every -1", "--eval-every must not be negative");
        yield return new("hogwild negative eval samples", $"{H} --eval-samples -1", "--eval-samples must not be negative");
        yield return new("hogwild toy without updates", $"{H} --toy-gradient", "--toy-gradient needs --updates N");
        yield return new("hogwild toy staleness-aware", $"{H} --toy-gradient --updates 10 --lr-policy staleness-aware", "--toy-gradient adds exact integers");
        yield return new("hogwild stall timeout nan", $"{H} --stall-timeout nan", "--stall-timeout must be a number of seconds");
        yield return new("hogwild threshold ignored", $"{H} --compressor none --threshold 0.1", "--compressor none would ignore it");
        yield return new("hogwild k beyond d", $"{H} --updates 10 --k 100000", "--k 100000 is outside 1..d = 7850");
        // other verbs
        yield return new("plot without runs", "plot --out {out}", "missing or extra positional arguments");
        yield return new("plot of no run", "plot {w} --out {out}", "no summary.json");
        yield return new("plot prefix escapes", "plot {run} --out {out} --prefix ../../escape", "--prefix '../../escape' must be a plain file-name prefix", Setup: CopyRun());
        yield return new("plot labels do not match", "plot {run} --out {out} --labels a,b", "--labels has 2 labels for 1 runs", Setup: CopyRun());
        yield return new("plot negative target loss", "plot {run} --out {out} --target-loss -1", "--target-loss must be a positive number", Setup: CopyRun());
        yield return new("plot garbage metrics", "plot {run} --out {out}", "metrics.jsonl line 2: not a metrics record",
            Setup: CopyRun(run => File.WriteAllLines(Path.Combine(run, "metrics.jsonl"), [File.ReadLines(Path.Combine(run, "metrics.jsonl")).First(), "garbage"])));
        yield return new("plot into a file", "plot {run} --out {run}/summary.json", "is a file, not a directory", Setup: CopyRun());
        yield return new("report without runs", "report --out {out}", "give run directories (RUN_DIR), --bench-step files, or both");
        yield return new("bench-topk json not writable", "bench-topk -d 65536 --json /proc/sparsempi-test.json", "cannot write in /proc");
        yield return new("bench-topk stray argument", "bench-topk --d 4096 --repeat 1 4096", "unexpected argument '4096'");
        yield return new("bench-comm unknown option", "bench-comm --bogus", "unknown option '--bogus'");
        yield return new("bench-comm from-run missing", "bench-comm --from-run /nonexistent-sparsempi-run", "--from-run /nonexistent-sparsempi-run: no such run directory");
        yield return new("train record-selections negative", "train --record-selections -1", "--record-selections must not be negative (got -1; 0: never)");
        yield return new("fit-mpi-cost json not writable", "fit-mpi-cost --model logreg --json /proc/sparsempi-test.json", "cannot write in /proc");
        yield return new("check-sparse negative ranks per node", "check-sparse --ranks-per-node -1", "--ranks-per-node must not be negative (got -1)");
        yield return new("check-mpi stray argument", "check-mpi extra", "unexpected argument 'extra'");
        yield return new("selftest-topk stray argument", "selftest-topk --large maybe", "unexpected argument 'maybe'");
        // data files (found after MPI starts, through Preflight.Agree)
        yield return new("data directory missing", "train --model logreg --data /nonexistent/fmnist --out {out}", "/nonexistent/fmnist");
        yield return new("data directory empty", "train --model logreg --data {w}/data --out {out}", "{w}/data",
            Setup: w => Directory.CreateDirectory(Path.Combine(w, "data")));
        yield return new("data images truncated", "train --model logreg --data {w}/data --out {out}", "train-images-idx3-ubyte",
            Setup: DataDirectory("train-images-idx3-ubyte", b => b[..(b.Length / 2)]));
        yield return new("data labels bad magic", "train --model logreg --data {w}/data --out {out}", "t10k-labels-idx1-ubyte",
            Setup: DataDirectory("t10k-labels-idx1-ubyte", b => { b[3] ^= 0xff; return b; }));
        yield return new("data label out of range", "train --model logreg --data {w}/data --out {out}", "train-labels-idx1-ubyte",
            Setup: DataDirectory("train-labels-idx1-ubyte", b => { b[100] = 42; return b; }));
        yield return new("hogwild data truncated on 2 ranks", "hogwild --model logreg --data {w}/data --out {out}", "t10k-images-idx3-ubyte", Launcher.OpenMpi, 2,
            Setup: DataDirectory("t10k-images-idx3-ubyte", b => b[..1000]));
        // checkpoints
        yield return new("resume without a checkpoint", "train --model logreg --resume {w}", "no checkpoint there");
        yield return new("resume corrupt latest.json", "train --model logreg --max-steps 20 --resume {run}", "latest.json is corrupt",
            Setup: CopyRun(run => File.WriteAllText(Path.Combine(run, "checkpoints", "latest.json"), "{ not json")));
        yield return new("resume flipped parameter byte", "train --model logreg --max-steps 20 --resume {run}", "SHA-256 seal does not match",
            Setup: CopyRun(run => { string p = Path.Combine(Latest(run), "params.bin"); byte[] b = File.ReadAllBytes(p); b[100] ^= 1; File.WriteAllBytes(p, b); }));
        yield return new("resume missing rank file", "train --model logreg --max-steps 20 --resume {run}", "rank-0000.bin is missing",
            Setup: CopyRun(run => File.Delete(Path.Combine(Latest(run), "rank-0000.bin"))));
        yield return new("resume other configuration", "train --model logreg --max-steps 20 --lr 0.2 --resume {run}", "written with a different configuration", Setup: CopyRun());
        yield return new("resume other model", "train --model mlp --max-steps 20 --resume {run}", "written with a different configuration", Setup: CopyRun());
        yield return new("resume other rank count", "train --model logreg --max-steps 20 --resume {run}", "written by 1 ranks, this run has 2", Launcher.OpenMpi, 2, Setup: CopyRun());
        yield return new("resume of an ended run", "train --model logreg --max-steps 10 --resume {run}", "the run already ended at step 10", Setup: CopyRun());
        // MPI libraries
        yield return new("library not MPI", $"{T} --max-steps 3", "is not an MPI library", Env: NotMpi);
        yield return new("library not MPI on 2 ranks", $"{T} --max-steps 3", "is not an MPI library", Launcher.OpenMpi, 2, Env: NotMpi);
        yield return new("library missing", $"{T} --max-steps 3", "no MPI library could be loaded",
            Env: new Dictionary<string, string> { ["SPARSEMPI_MPI_LIB"] = "/nonexistent/libmpi.so.40" });
        yield return new("MPICH under Open MPI's launcher", $"{T} --max-steps 3", "the launcher started 2 ranks but MPI (libmpich.so.12) sees 1", Launcher.OpenMpi, 2,
            Env: new Dictionary<string, string> { ["SPARSEMPI_MPI_LIB"] = "libmpich.so.12" });
        yield return new("Open MPI under MPICH's launcher", $"{T} --max-steps 3", "the launcher started 2 ranks but MPI (libmpi.so.40) sees 1", Launcher.Mpich, 2,
            Env: new Dictionary<string, string> { ["SPARSEMPI_MPI_LIB"] = "libmpi.so.40" });
        // launched: every rank refuses, or one does, or they disagree (not rows 1-4: run length, out/resume, fit-mpi-cost)
        yield return new("all ranks refuse under Open MPI", $"{T} --lr -1", "--lr must be a positive finite number", Launcher.OpenMpi, 2);
        yield return new("all ranks refuse under MPICH", $"{T} --lr -1", "--lr must be a positive finite number", Launcher.Mpich, 2);
        yield return new("MPMD one rank's lr negative", "", "on rank 1: --lr must be a positive finite number", Launcher.OpenMpi,
            Mpmd: [$"{T} --max-steps 5", $"{T} --max-steps 5 --lr -1"]);
        yield return new("MPMD one rank's unknown option under MPICH", "", "on rank 1: unknown option '--bogus'", Launcher.Mpich,
            Mpmd: [$"{H} --updates 20", $"{H} --updates 20 --bogus"]);
        yield return new("MPMD lr differs", "", "ranks disagree on the train options: --lr (rank 0: 0.05; rank 1: 0.1)", Launcher.OpenMpi,
            Mpmd: [$"{T} --max-steps 5 --lr 0.05", $"{T} --max-steps 5 --lr 0.1"]);
        yield return new("MPMD model differs", "", "ranks disagree on the train options: --model (rank 0: logreg; rank 1: mlp)", Launcher.OpenMpi,
            Mpmd: ["train --model logreg --max-steps 5 --out {out}", "train --model mlp --max-steps 5 --out {out}"]);
        yield return new("MPMD hogwild update mode differs", "", "ranks disagree on the hogwild options: --update (rank 0: atomic; rank 1: racy)", Launcher.OpenMpi,
            Mpmd: [$"{H} --updates 20 --update atomic", $"{H} --updates 20 --update racy"]);
        yield return new("MPMD verbs differ", "", "ranks run different verbs", Launcher.OpenMpi,
            Mpmd: [$"{T} --max-steps 5", "check-mpi"]);
    }

    [TestCaseSource(nameof(Cases))]
    public void IsOneLineAndWritesNothing(Case c)
    {
        using var work = new RunDirectory();
        c.Setup?.Invoke(work.Path);
        string Fill(string s) => s.Replace("{out}", work["out"]).Replace("{run}", work["run"]).Replace("{w}", work.Path);
        var before = Snapshot(work.Path);
        var env = c.Env?.ToDictionary(kv => kv.Key, kv => kv.Value);
        RunResult r = c.Mpmd != null
            ? ProgramRunner.RunMpmd(c.Mpmd.Select(Fill).ToList(), c.Launcher, timeoutSeconds: 120)
            : ProgramRunner.Run(Fill(c.Command), c.Ranks, c.Launcher, env, timeoutSeconds: 120);
        BadInputTests.AssertOneLineError(r, Fill(c.Expected));
        Assert.That(Snapshot(work.Path), Is.EqualTo(before), $"the case wrote into its work directory\n{r}");
    }

    /// <summary>Every file and directory under <paramref name="root"/> with its length and modification time.</summary>
    static List<string> Snapshot(string root) => Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories)
        .Order(StringComparer.Ordinal)
        .Select(p => File.Exists(p) ? $"{p} {new FileInfo(p).Length} {File.GetLastWriteTimeUtc(p).Ticks}" : $"{p}/")
        .ToList();

    [Test]
    public void TheMatrixHasAtLeastSixtyCasesWithDistinctNames()
    {
        var cases = Cases().ToList();
        Assert.That(cases, Has.Count.GreaterThanOrEqualTo(60));
        Assert.That(cases.Select(c => c.Name), Is.Unique);
    }
}
