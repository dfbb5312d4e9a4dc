namespace SparseMpi.Collectives;

/// <summary>Reduction operators of the collectives.</summary>
public enum ReduceOp { Sum, Max, Min, BitwiseOr }
