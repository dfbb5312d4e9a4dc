using NUnit.Framework;
using SparseMpi.Cli;

namespace SparseMpi.Tests.Training;

/// <summary>The configuration text names Ok-Topk's math (global top-k, its periods) and leaves every other exchange's text as it was.</summary>
public class OkTopkConfigurationTests
{
    [Test]
    public void OkTopkIsRecordedAsGlobalTopKWithItsPeriods()
    {
        var o = new TrainVerb { Compressor = "topk", Exchange = "oktopk", ThresholdRefresh = 12 }.ToConfig();
        Assert.That(o.GlobalTopK, Is.True);
        Assert.That(o.MathConfiguration(), Does.EndWith(";exchange=oktopk;global-topk=oktopk;threshold-refresh=12;repartition=64"));
        var other = new TrainVerb { Compressor = "topk", Exchange = "oktopk", ThresholdRefresh = 13 }.ToConfig();
        Assert.That(other.MathConfiguration(), Is.Not.EqualTo(o.MathConfiguration()), "a checkpoint of one refresh period is refused by the other");
    }

    [TestCase("allgather"), TestCase("allreduce"), TestCase("ssar-rd"), TestCase("ssar-split"), TestCase("dsar-split")]
    public void ExactExchangesKeepTheirConfigurationText(string exchange)
    {
        var o = new TrainVerb { Compressor = "topk", Exchange = exchange }.ToConfig();
        Assert.That(o.GlobalTopK, Is.False);
        Assert.That(o.MathConfiguration(), Does.EndWith($";exchange={exchange}").And.Not.Contain("global-topk").And.Not.Contain("refresh"));
    }
}
