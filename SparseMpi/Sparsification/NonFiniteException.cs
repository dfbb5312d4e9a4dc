namespace SparseMpi.Sparsification;

/// <summary>A gradient, loss or update holds NaN or infinity: training cannot continue from it.</summary>
public sealed class NonFiniteException(string message) : Exception(message);
