using TorchSharp;

namespace SparseMpi.Tests.Build;

/// <summary>
/// TorchSharp's native library asks for GLIBCXX_3.4.32, which Debian 12's libstdc++ lacks; the build marks that
/// need weak (build/GlibcxxVersionWeakener.cs). These tests prove libtorch loads and that the patch is exactly
/// what it claims.
/// </summary>
public class TorchSharpLoadTests
{
    const string Version = "GLIBCXX_3.4.32";
    static string Copied => Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
    static readonly string SystemLibstdcxx = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";

    [Test]
    public void LibtorchLoadsAndRunsATensorOp()
    {
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var b = torch.matmul(a, a);
        Assert.That(b.data<float>().ToArray(), Is.EqualTo(new float[] { 7, 10, 15, 22 }));
    }

    [Test]
    public void CopiedLibraryNeedIsWeakExactlyWhenTheSystemLacksTheVersion()
    {
        ushort? flags = GlibcxxVersionWeakener.ReadNeedFlags(Copied, Version);
        Assert.That(flags, Is.Not.Null, "TorchSharp's library no longer asks for the version: the patch can go");
        bool systemHasIt = GlibcxxVersionWeakener.LibraryDefinesVersion(SystemLibstdcxx, Version);
        Assert.That((flags!.Value & GlibcxxVersionWeakener.VerFlagWeak) != 0, Is.EqualTo(!systemHasIt));
    }

    [Test]
    public void WeakenPatchesOnlyTheFlagAndIsIdempotent()
    {
        string dir = Path.Combine(Path.GetTempPath(), "weaken-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            // Start from the pristine library in the NuGet cache, which still carries the strong need.
            string copy = Path.Combine(dir, "lib.so");
            File.Copy(PristineLibrary(), copy);
            Assert.That(GlibcxxVersionWeakener.ReadNeedFlags(copy, Version)! & GlibcxxVersionWeakener.VerFlagWeak, Is.Zero);
            byte[] before = File.ReadAllBytes(copy);

            string noSystem = Path.Combine(dir, "no-libstdc++");
            Assert.That(GlibcxxVersionWeakener.Weaken(copy, Version, noSystem), Is.EqualTo(GlibcxxVersionWeakener.Result.Patched));
            Assert.That(GlibcxxVersionWeakener.Weaken(copy, Version, noSystem), Is.EqualTo(GlibcxxVersionWeakener.Result.AlreadyWeak));
            Assert.That(GlibcxxVersionWeakener.ReadNeedFlags(copy, Version)! & GlibcxxVersionWeakener.VerFlagWeak, Is.Not.Zero);
            byte[] after = File.ReadAllBytes(copy);
            Assert.That(after, Has.Length.EqualTo(before.Length));
            Assert.That(before.Zip(after).Count(p => p.First != p.Second), Is.EqualTo(1), "only the one flag byte may change");

            // A system libstdc++ that defines the version: nothing is done.
            File.Copy(PristineLibrary(), copy, overwrite: true);
            string fakeSystem = Path.Combine(dir, "libstdc++.so.6");
            File.WriteAllBytes(fakeSystem, System.Text.Encoding.ASCII.GetBytes("xx\0GLIBCXX_3.4.32\0yy"));
            Assert.That(GlibcxxVersionWeakener.Weaken(copy, Version, fakeSystem), Is.EqualTo(GlibcxxVersionWeakener.Result.SystemHasVersion));
            Assert.That(File.ReadAllBytes(copy), Is.EqualTo(before));
            Assert.That(GlibcxxVersionWeakener.Weaken(copy, "GLIBCXX_9.9.99", noSystem), Is.EqualTo(GlibcxxVersionWeakener.Result.NoSuchNeed));
        }
        finally { Directory.Delete(dir, true); }
    }

    static string PristineLibrary()
    {
        string nuget = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Directory.EnumerateFiles(Path.Combine(nuget, "torchsharp"), "libLibTorchSharp.so", SearchOption.AllDirectories).First();
    }
}
