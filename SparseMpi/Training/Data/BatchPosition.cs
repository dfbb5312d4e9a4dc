namespace SparseMpi.Training.Data;

/// <summary>
/// Where a rank is in its stream of batches: the epoch, and how many batches of that epoch it has consumed.
/// Together with the seed and the rank count this is all the data state a checkpoint needs for an exact resume.
/// </summary>
public readonly record struct BatchPosition(int Epoch, int Step)
{
    public override string ToString() => $"epoch {Epoch} step {Step}";
}
