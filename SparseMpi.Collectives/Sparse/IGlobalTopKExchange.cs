namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// An exchange that applies only a global top-k of the sum (<see cref="OkTopkExchange"/>), not the whole sum of
/// the ranks' selections: the entries a rank sent that are not in <see cref="Applied"/> were dropped, and the
/// caller returns them to its residual (error feedback). It carries state across steps (thresholds, regions, its
/// step counter) that a checkpoint must keep for a resumed run to compute the same bits.
/// </summary>
public interface IGlobalTopKExchange : IGradientExchange
{
    /// <summary>
    /// The target global count the next <see cref="IGradientExchange.Pack"/> announces (this rank's k); 0: the
    /// selection's own length. Read and cleared by Pack: set it every step.
    /// </summary>
    int TargetK { get; set; }

    /// <summary>The entries the last exchange applied, strictly ascending, identical on every rank (= Touched).</summary>
    ReadOnlySpan<int> Applied { get; }

    /// <summary>True when the last exchange computed its global threshold exactly (then Applied is exactly the top-k).</summary>
    bool LastThresholdExact { get; }

    /// <summary>Writes what the next exchanges depend on (threshold, region boundaries, step counter).</summary>
    void WriteState(BinaryWriter writer);

    /// <summary>Restores what <see cref="WriteState"/> wrote; throws <see cref="InvalidDataException"/> when it does not fit.</summary>
    void ReadState(BinaryReader reader);
}
