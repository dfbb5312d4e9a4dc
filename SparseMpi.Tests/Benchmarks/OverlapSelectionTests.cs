using SparseMpi.Benchmarks;

namespace SparseMpi.Tests.Benchmarks;

/// <summary>bench-comm's --overlap selections: a shared fraction, the rest disjoint per rank, so the fill-in is known.</summary>
public class OverlapSelectionTests
{
    static int[][] Selections(int p, int d, int k, double overlap) => Enumerable.Range(0, p).Select(q =>
    {
        var indices = new int[k];
        OverlapSelection.Fill(7, q, p, d, overlap, indices, new float[k]);
        return indices;
    }).ToArray();

    [TestCase(3, 1000, 50, 0.0, 150)]
    [TestCase(3, 1000, 50, 1.0, 50)]
    [TestCase(3, 1000, 50, 0.5, 25 + 3 * 25)]
    [TestCase(4, 997, 200, 0.25, 50 + 4 * 150)]
    public void UnionIsSharedPlusEveryRanksOwn(int p, int d, int k, double overlap, int union)
    {
        var all = Selections(p, d, k, overlap);
        foreach (var s in all)
        {
            Assert.That(s, Is.Ordered.Ascending);
            Assert.That(s.Distinct().Count(), Is.EqualTo(k));
            Assert.That(s.All(i => i >= 0 && i < d));
        }
        Assert.That(all.SelectMany(s => s).Distinct().Count(), Is.EqualTo(union), "fill-in = union / (P k)");
        int shared = OverlapSelection.SharedCount(k, overlap);
        Assert.That(all.Aggregate((IEnumerable<int>)all[0], (a, s) => a.Intersect(s)).Count(), Is.EqualTo(shared));
    }

    [Test]
    public void TooLargeForDisjointOwnPartsStillGivesValidSelections()
    {
        Assert.That(OverlapSelection.Disjoint(4, 100, 50, 0), Is.False);
        foreach (var s in Selections(4, 100, 50, 0))
        {
            Assert.That(s, Is.Ordered.Ascending);
            Assert.That(s.Distinct().Count(), Is.EqualTo(50));
            Assert.That(s.All(i => i >= 0 && i < 100));
        }
    }
}
