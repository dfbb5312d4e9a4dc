using SparseMpi.Benchmarks;

namespace SparseMpi.Tests.Benchmarks;

/// <summary>bench-topk's flush follows the host's caches: twice the last level (a 300 MB L3 gets a 600 MB flush).</summary>
[TestFixture]
public class CacheInfoTests
{
    [TestCase("32K", 32L << 10), TestCase("1024K", 1L << 20), TestCase("32 MiB", 32L << 20), TestCase("300M", 300L << 20), TestCase("512", 512L)]
    public void SizesParse(string text, long bytes) => Assert.That(CacheInfo.ParseSize(text), Is.EqualTo(bytes));

    [Test]
    public void GarbageIsNoSize() => Assert.That(CacheInfo.ParseSize("lots"), Is.Null);

    [Test]
    public void TheFlushIsTwiceTheLastLevelReadFromSysfs()
    {
        string dir = Directory.CreateTempSubdirectory("cacheinfo").FullName;
        try
        {
            void Index(int i, int level, string type, string size)
            {
                string d = Directory.CreateDirectory(Path.Combine(dir, $"index{i}")).FullName;
                File.WriteAllText(Path.Combine(d, "level"), $"{level}\n");
                File.WriteAllText(Path.Combine(d, "type"), $"{type}\n");
                File.WriteAllText(Path.Combine(d, "size"), $"{size}\n");
            }
            Index(0, 1, "Data", "48K");
            Index(1, 2, "Unified", "2048K");
            Index(2, 3, "Unified", "307200K"); // an Intel Xeon's 300 MB L3
            var info = CacheInfo.Read(dir);
            Assert.That(info.Source, Is.EqualTo("sysfs"));
            Assert.That(info.LastLevelBytes, Is.EqualTo(300L << 20));
            Assert.That(info.FlushBytes, Is.EqualTo(600L << 20), "twice the last level");
            Assert.That(info.Describe(), Is.EqualTo("L1d 48K, L2 2048K, L3 307200K"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void ASmallCacheStillGetsTheOldFloorOf128MiB()
    {
        var info = new CacheInfo("x", [(3, "Unified", 16L << 20)], "test");
        Assert.That(info.FlushBytes, Is.EqualTo(128L << 20));
    }
}
