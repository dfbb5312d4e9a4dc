namespace SparseMpi.Sparsification;

/// <summary>
/// Narrows a compressor's candidates (ascending indices) to the ones actually sent, moving those to the front
/// in ascending index order and returning their count. Candidates not kept stay in the error-feedback residual.
/// </summary>
public interface ISelectionFilter
{
    int Filter(Span<int> indices, Span<float> values, int count);
}
