using SparseMpi.Collectives.Sparse;

namespace SparseMpi.Metrics;

/// <summary>
/// What the alpha-beta prediction takes from the measured runs of one method: d, k, the packed message size and
/// the local (non-network) milliseconds per step.
/// </summary>
public sealed record ModelInputs
{
    public required string Method { get; init; }
    public required bool Dense { get; init; }
    public required long D { get; init; }
    /// <summary>Mean k per rank and step (d for dense).</summary>
    public required double K { get; init; }
    /// <summary>One rank's packed message (24-byte header + k entries); 4d for dense.</summary>
    public required double MessageBytes { get; init; }
    /// <summary>Where <see cref="MessageBytes"/> came from (measured bytes, or the wire format's nominal size).</summary>
    public required string MessageSource { get; init; }
    /// <summary>Per-rank batch of the 1-rank run: the weak-scaling batch per rank and the strong-scaling global batch.</summary>
    public required int BatchPerRank { get; init; }
    public required double ComputeMs { get; init; }
    public required double SelectMs { get; init; }
    public required double ApplyMs { get; init; }

    /// <summary>Bytes per (index, value) entry on the wire, header excluded.</summary>
    public double BytesPerEntry => Dense ? 4 : K > 0 ? (MessageBytes - SparseHeader.Size) / K : double.NaN;

    /// <summary>
    /// The inputs of every method that has a 1-rank run (the reference: no network, no oversubscription), and
    /// one note per method that cannot be modelled. Phases are taken as the least disturbed measurement, the
    /// minimum, because load from other jobs only ever adds time:
    /// <list type="bullet">
    /// <item>compute: forward and backward are the same work for every method, so the minimum over all methods'
    /// 1-rank runs of the same model and batch (one noisy run would otherwise decide dense against sparse);</item>
    /// <item>select and apply: the minimum over the method's own runs at any rank count (select is one O(d) pass
    /// whatever the batch; the sparse apply's growth with P·k is modelled separately).</item>
    /// </list>
    /// The sparse message size is measured from the bytes the multi-rank runs sent (mean), else the nominal size of
    /// an int32-indexed wire format (delta-coded indices have no fixed size).
    /// </summary>
    public static List<ModelInputs> From(IReadOnlyList<ScalingPoint> points, List<string> notes)
    {
        var inputs = new List<ModelInputs>();
        var oneRank = points.Where(p => p.Ranks == 1).ToList();
        foreach (var method in ScalingReport.Methods(points))
        {
            ScalingPoint? reference = method.FirstOrDefault(p => p.Ranks == 1);
            if (reference == null)
            {
                notes.Add($"{method.Key}: not modelled (no 1-rank run to take the local step time from)");
                continue;
            }
            double message;
            string source;
            var measured = method.Where(p => p.MessageBytes != null).ToList();
            if (reference.Dense)
            {
                message = 4.0 * reference.D;
                source = "4d (dense)";
            }
            else if (measured.Count > 0)
            {
                message = measured.Average(p => p.MessageBytes!.Value);
                source = $"measured ({string.Join(", ", measured.Select(p => p.Ranks))} ranks)";
            }
            else if (WireFormat.TryParse(reference.WireFormat, out var format) && format.Index == IndexFormat.Int32)
            {
                message = SparseHeader.Size + reference.KMean * (4 + WireFormat.ValueSize(format.Value));
                source = $"nominal {format}";
            }
            else
            {
                notes.Add($"{method.Key}: not modelled (wire format '{reference.WireFormat}' has no fixed entry size and no multi-rank run measured it)");
                continue;
            }
            inputs.Add(new ModelInputs
            {
                Method = method.Key,
                Dense = reference.Dense,
                D = reference.D,
                K = reference.KMean,
                MessageBytes = message,
                MessageSource = source,
                BatchPerRank = reference.BatchPerRank,
                ComputeMs = oneRank.Where(p => p.Model == reference.Model && p.BatchPerRank == reference.BatchPerRank).Min(p => p.MsPerStep.Compute),
                SelectMs = method.Min(p => p.MsPerStep.Select),
                ApplyMs = method.Min(p => p.MsPerStep.Apply),
            });
        }
        return inputs;
    }
}
