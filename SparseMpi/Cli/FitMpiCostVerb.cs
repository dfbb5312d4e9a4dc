using System.Globalization;
using CommandLine;
using SparseMpi.Collectives.Sparse;
using SparseMpi.Metrics;
using SparseMpi.Sparsification;
using SparseMpi.Training.Models;
using SparseMpi.CostModels;

namespace SparseMpi.Cli;

/// <summary>
/// <c>fit-mpi-cost</c>: fits the mpi cost model (alpha + beta * bytes of one rank's sparse message) on this
/// communicator once, so that many runs can share it (<c>train --mpi-alpha A --mpi-beta B</c>) instead of each
/// fitting its own under different noise. It also fits the ring allreduce of dense vectors on its own
/// (<c>--dense-floats</c>), which the step-time model (<c>report --network ...,dense-alpha=,dense-beta=</c>) uses
/// for the dense rows: the sparse fit's beta carries the sparse decode and over-predicts a dense allreduce.
/// </summary>
[Verb("fit-mpi-cost", HelpText = "Fit the mpi cost model alpha + beta*bytes from timed sparse exchanges on this communicator (run under mpiexec).")]
public sealed class FitMpiCostVerb : IMpiVerb
{
    [Option("model", Default = ModelFactory.Default, HelpText = "The model whose d the messages index into.")]
    public string Model { get; set; } = ModelFactory.Default;

    [Option("index-format", Default = "int32", HelpText = "int32 or delta.")]
    public string IndexFormat { get; set; } = "int32";

    [Option("value-format", Default = "fp32", HelpText = "fp32, fp16 or bf16.")]
    public string ValueFormat { get; set; } = "fp32";

    [Option("repeat", Default = 15, HelpText = "Timed exchanges per message size (the fastest is kept).")]
    public int Repeat { get; set; } = 15;

    [Option("dense-floats", Default = 1 << 22, HelpText = "Largest MPI_Allreduce (floats) of the dense fit, which times 1K floats up to it; 0: no dense fit.")]
    public int DenseFloats { get; set; } = 1 << 22;

    [Option("json", HelpText = "Also write the fit and its points to this file (rank 0, atomically).")]
    public string? JsonPath { get; set; }

    public string? Validate()
    {
        if (ModelFactory.FindProblem(Model) is string p) return p;
        if (!WireFormat.TryParse($"{IndexFormat}:{ValueFormat}", out _)) return $"unknown wire format {IndexFormat}:{ValueFormat}";
        if (Repeat < 1) return $"--repeat must be at least 1 (got {Repeat})";
        if (DenseFloats != 0 && DenseFloats < 2 * MpiCostCalibration.DefaultDenseFloats[0])
            return $"--dense-floats must be 0 (no dense fit) or at least {2 * MpiCostCalibration.DefaultDenseFloats[0]} (got {DenseFloats})";
        return OutputPaths.FileProblem("--json", JsonPath);
    }

    public int Run() => MpiSession.Run(mpi =>
    {
        int d;
        using (var model = FlatModel.Create(Model, 1)) d = model.D;
        WireFormat.TryParse($"{IndexFormat}:{ValueFormat}", out var format);
        var fit = MpiCostCalibration.Fit(mpi.World, d, format, Repeat);
        var dense = DenseFloats > 0 ? MpiCostCalibration.FitDense(mpi.World, DenseFloats, Repeat) : null;
        if (mpi.World.Rank == 0)
        {
            Console.WriteLine(fit.Describe());
            for (int i = 0; i < fit.Bytes.Length; i++)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {fit.Bytes[i],9} bytes  {fit.Seconds[i] * 1e6,10:F1} us measured  {(fit.Alpha + fit.Beta * fit.Bytes[i]) * 1e6,10:F1} us fitted"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"use: --cost-model mpi --mpi-alpha {fit.Alpha:R} --mpi-beta {fit.Beta:R}"));
            if (dense != null)
            {
                Console.WriteLine(dense.Describe());
                int p = mpi.World.Size;
                for (int i = 0; i < dense.Floats.Length; i++)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {dense.Floats[i],9} floats {dense.Seconds[i] * 1e6,10:F1} us measured  {CollectiveCost.RingAllreduce(p, 4.0 * dense.Floats[i], new AlphaBetaNetwork("fit", dense.Alpha, dense.Beta)) * 1e6,10:F1} us fitted"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"report network: alpha={fit.Alpha:R},beta={fit.Beta:R},dense-alpha={dense.Alpha:R},dense-beta={dense.Beta:R}"));
            }
            else if (DenseFloats > 0) Console.WriteLine("dense allreduce: not fitted on one rank (no message moves)");
            if (JsonPath != null)
                Json.WriteFile(JsonPath, new
                {
                    ranks = mpi.World.Size, model = Model, d, format = format.ToString(), alpha = fit.Alpha, beta = fit.Beta, bytes = fit.Bytes, seconds = fit.Seconds,
                    dense_alpha = dense?.Alpha, dense_beta = dense?.Beta, dense_floats = dense?.Floats, dense_seconds = dense?.Seconds,
                });
        }
        return 0;
    });
}
