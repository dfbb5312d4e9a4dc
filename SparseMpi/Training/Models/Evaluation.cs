namespace SparseMpi.Training.Models;

/// <summary>A model's accuracy and mean cross-entropy loss on a labelled set of <paramref name="Samples"/>.</summary>
public readonly record struct Evaluation(int Samples, double Accuracy, double Loss);
