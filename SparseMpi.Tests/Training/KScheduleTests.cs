using SparseMpi.Training;

namespace SparseMpi.Tests.Training;

public class KScheduleTests
{
    [Test]
    public void WarmupDecaysGeometricallyToTheTargetAsInDgc()
    {
        // d = 1e6, target density 0.001, 4 warm-up epochs of 10 steps: 0.251, 0.063, 0.0158, 0.004, then 0.001.
        var k = new FixedKSchedule(1_000_000, 1000, stepsPerEpoch: 10, warmupEpochs: 4);
        int[] perEpoch = Enumerable.Range(0, 6).Select(e => k.KAt(e * 10L)).ToArray();
        Assert.That(perEpoch, Is.EqualTo(new[] { 251189, 63096, 15849, 3981, 1000, 1000 }));
        Assert.That(k.KAt(9), Is.EqualTo(perEpoch[0]), "constant within an epoch");
        Assert.That(k.MaxK, Is.EqualTo(perEpoch[0]), "the send buffers are sized for the first warm-up epoch");
    }

    [Test]
    public void WithoutWarmupKIsFixed()
    {
        var k = new FixedKSchedule(203530, 2035, stepsPerEpoch: 234, warmupEpochs: 0);
        Assert.That(new[] { k.KAt(0), k.KAt(5000) }, Is.EqualTo(new[] { 2035, 2035 }));
        Assert.That(k.MaxK, Is.EqualTo(2035));
        Assert.That(FixedKSchedule.KForDensity(7850, 0.0001), Is.EqualTo(1), "at least one entry");
        Assert.Throws<ArgumentOutOfRangeException>(() => new FixedKSchedule(10, 11, 1, 0));
    }
}
