using SparseMpi.Tests.Training;
using SparseMpi.Training.Models;

namespace SparseMpi.Tests.Reliability;

/// <summary>
/// Flat memory (issue 17, row 10): each rank evaluates its part of the test set in place. The copy it used to take
/// per evaluation (ImageSet.Slice, 15.7 MB per rank on 2 ranks) made RSS grow from ~420 to ~720 MB over 20 epochs.
/// </summary>
public class EvaluationMemoryTests
{
    [Test]
    public void EvaluatingARangeEqualsEvaluatingItsCopyAndAllocatesNoCopy()
    {
        var test = TestData.FashionMnist.Test;
        using var model = FlatModel.Create("logreg", seed: 3);
        int first = 2500, count = 5000; // a range that does not start at 0, so a wrong offset shows
        var expected = model.Evaluate(test.Slice(first, count), 1000);
        model.Evaluate(test, first, count, 1000); // warm: the batch buffers are allocated once, at first use

        long before = GC.GetAllocatedBytesForCurrentThread();
        var actual = model.Evaluate(test, first, count, 1000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(actual, Is.EqualTo(expected));
        long sliceBytes = (long)count * 784 * sizeof(float);
        // Tensor handles and scopes allocate a few KB per batch; a copy of the range would be 15.7 MB.
        Assert.That(allocated, Is.LessThan(sliceBytes / 20), $"allocated {allocated} bytes; a copy of the range is {sliceBytes}");
    }
}
