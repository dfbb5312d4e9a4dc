namespace SparseMpi.Training.Models;

/// <summary>Where one named parameter tensor lives in the flat parameter (and gradient) buffer.</summary>
public sealed record ParameterSlice(string Name, int Offset, int Length, long[] Shape)
{
    public override string ToString() => $"{Name} [{string.Join("x", Shape)}] at {Offset}";
}
