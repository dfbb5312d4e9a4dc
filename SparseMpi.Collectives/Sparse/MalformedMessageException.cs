namespace SparseMpi.Collectives.Sparse;

/// <summary>
/// A sparse message failed validation (bad magic, version or format byte, index out of range, indices not
/// ascending, truncated payload, lengths that disagree, a d other than the receiver's). Every rank receives the
/// same bytes, so every rank finds the same fault and throws together instead of one rank hanging.
/// </summary>
public sealed class MalformedMessageException : Exception
{
    /// <summary>The rank that sent the message, when known.</summary>
    public int? SourceRank { get; }

    public MalformedMessageException(string reason) : base($"malformed sparse message: {reason}") { }

    public MalformedMessageException(int sourceRank, MalformedMessageException inner)
        : base($"malformed sparse message from rank {sourceRank}: {inner.Message["malformed sparse message: ".Length..]}", inner)
        => SourceRank = sourceRank;
}
