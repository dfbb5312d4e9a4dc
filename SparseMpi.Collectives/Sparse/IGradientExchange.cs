namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// One algorithm for summing the ranks' sparse selections each step (<see cref="SparseAllgatherExchange"/>,
/// <see cref="DenseAllreduceExchange"/>, and the next one). It owns its whole protocol in two phases, so that
/// what every rank must know before data moves (its message length, its k) can travel in a small collective the
/// caller makes anyway (the training step's agreement round), and a new algorithm is one new class:
/// <code>
/// int mine = exchange.Pack(indices, values);          // local: encode this rank's selection, say what others must know
/// caller's allgather of (loss, finite flag, mine) -> announcements[r] for every rank r;  stop together if any flag
/// var result = exchange.Exchange(announcements, sum); // collective: sum[i] = Σ over ranks of their values at i
/// if (exchange.WroteAll) apply all of sum / P; else apply sum / P at exchange.Touched only;
/// exchange.ResetOutput(sum);                          // ready for the next step
/// </code>
/// Without such a round, <see cref="GradientExchangeExtensions.ExchangeAlone"/> gathers the announcements itself
/// (and carries a stop flag). Every rank calls Exchange together. Not thread-safe.
/// </summary>
public interface IGradientExchange
{
    /// <summary>"sparse-allgather" or "dense-allreduce": the name results record.</summary>
    string Name { get; }

    /// <summary>d: the length of the sum.</summary>
    int Dimension { get; }

    /// <summary>The ranks taking part.</summary>
    Communicator Communicator { get; }

    /// <summary>
    /// Local: takes this rank's selection for the next <see cref="Exchange"/> (strictly ascending indices in
    /// 0..d-1 and their values; k = 0 is valid) and returns its announcement, a non-negative number every rank
    /// must learn before data moves (the packed message length for the sparse allgather, k for the dense allreduce).
    /// The spans are read here and not kept.
    /// </summary>
    int Pack(ReadOnlySpan<int> indices, ReadOnlySpan<float> values);

    /// <summary>
    /// Collective: <paramref name="announcements"/> holds every rank's <see cref="Pack"/> result of this step in
    /// rank order. Computes <c>sum[i] = Σ over ranks of that rank's value at i</c>, bitwise identical on every rank.
    /// <paramref name="sum"/> (length d, caller-owned) must be as the previous <see cref="ResetOutput"/> left it
    /// (all zero when new).
    /// </summary>
    ExchangeResult Exchange(ReadOnlySpan<int> announcements, Span<float> sum);

    /// <summary>True when the last exchange wrote all of the sum; false when it wrote only <see cref="Touched"/>.</summary>
    bool WroteAll { get; }

    /// <summary>
    /// Every entry the last exchange wrote, once per rank that sent it (so an entry may repeat); valid until the
    /// next Exchange, and only when not <see cref="WroteAll"/>. Applying the update there costs O(k·P), not O(d).
    /// </summary>
    ReadOnlySpan<int> Touched { get; }

    /// <summary>Per rank, the pairs it contributed to the last completed exchange.</summary>
    ReadOnlySpan<int> RankCounts { get; }

    /// <summary>Makes <paramref name="sum"/> ready for the next <see cref="Exchange"/> after its result was used.</summary>
    void ResetOutput(Span<float> sum);
}
