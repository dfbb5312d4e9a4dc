namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// One way of summing the ranks' gradients each step: <see cref="SparseAllgatherExchange"/> (exchange the
/// selections, scatter-add) or <see cref="DenseAllreduceExchange"/> (allreduce the dense vectors, the baseline).
/// A training step with either:
/// <code>
/// var result = exchange.Exchange(LocalGradient.Both(acc, selectedIndices, selectedValues), sum, flag: !finite);
/// if (!result.Completed) throw ...;           // every rank sees the same FlaggedRanks, so all stop together
/// apply sum / P to the parameters;            // the sum is not divided by P: the caller decides
/// exchange.ResetOutput(sum);                  // ready for the next step (the sparse exchange clears only what it touched)
/// </code>
/// Collective: every rank of the communicator calls Exchange together. Not thread-safe.
/// </summary>
public interface IGradientExchange
{
    /// <summary>"sparse-allgather" or "dense-allreduce".</summary>
    string Name { get; }

    /// <summary>d: the length of dense vectors and of the sum.</summary>
    int Dimension { get; }

    /// <summary>
    /// Computes <c>sum[i] = Σ over ranks of that rank's contribution at i</c> on every rank, bitwise identical on
    /// all ranks. <paramref name="sum"/> (length d) is owned by the caller and must not overlap the local inputs,
    /// except that the dense exchange allows <c>sum</c> to be the very same span as the dense input (in place).
    /// Before the call <paramref name="sum"/> must be as the previous <see cref="ResetOutput"/> left it (all
    /// zero when new): the sparse exchange adds into it and writes only the entries some rank selected; the dense
    /// exchange overwrites all of it.
    /// <para>When <paramref name="flag"/> is true on any rank (e.g. a non-finite gradient), no rank changes its
    /// sum and every rank returns the same <see cref="ExchangeResult.FlaggedRanks"/>. A flagging rank's inputs are
    /// ignored and may be empty (<c>default(LocalGradient)</c>).</para>
    /// </summary>
    ExchangeResult Exchange(LocalGradient local, Span<float> sum, bool flag = false);

    /// <summary>Makes <paramref name="sum"/> ready for the next <see cref="Exchange"/> after its result was used.</summary>
    void ResetOutput(Span<float> sum);
}
