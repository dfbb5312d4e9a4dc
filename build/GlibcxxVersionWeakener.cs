// Makes TorchSharp's libLibTorchSharp.so loadable on systems whose libstdc++ is older than the one it was
// linked against (Debian 12 stops at GLIBCXX_3.4.30; the library asks for GLIBCXX_3.4.32 for one marker
// symbol that nothing calls). The ELF verneed entry for that version is marked VER_FLG_WEAK, which tells
// glibc's loader that a missing version is not fatal. Nothing else in the file changes, and nothing
// changes at all where the system libstdc++ defines the version.
//
// This file is compiled twice (so it sticks to netstandard APIs): by MSBuild's RoslynCodeTaskFactory (as the WeakenGlibcxxNeed task) and
// into the test project (define SPARSEMPI_NO_MSBUILD) so the patch logic itself is tested.
using System;
using System.IO;
using System.Text;

public static class GlibcxxVersionWeakener
{
    public const ushort VerFlagWeak = 0x2;
    const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>Outcome of one patch attempt, for the build log and the tests.</summary>
    public enum Result { Patched, AlreadyWeak, NoSuchNeed, SystemHasVersion }

    /// <summary>True when the given libstdc++ file defines the version (its name occurs as a string).</summary>
    public static bool LibraryDefinesVersion(string libstdcxxPath, string version)
    {
        if (!File.Exists(libstdcxxPath)) return false;
        byte[] bytes = File.ReadAllBytes(libstdcxxPath);
        byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
        for (int i = 0; i + needle.Length <= bytes.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && bytes[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    /// <summary>Reads the flags of the verneed auxiliary entry named <paramref name="version"/>, or null.</summary>
    public static ushort? ReadNeedFlags(string elfPath, string version)
    {
        byte[] elf = File.ReadAllBytes(elfPath);
        int at = FindVernaux(elf, version);
        return at < 0 ? null : BitConverter.ToUInt16(elf, at + 4);
    }

    /// <summary>Marks the need for <paramref name="version"/> weak in place, unless the system has it.</summary>
    public static Result Weaken(string elfPath, string version, string systemLibstdcxx)
    {
        if (LibraryDefinesVersion(systemLibstdcxx, version)) return Result.SystemHasVersion;
        byte[] elf = File.ReadAllBytes(elfPath);
        int at = FindVernaux(elf, version);
        if (at < 0) return Result.NoSuchNeed;
        ushort flags = BitConverter.ToUInt16(elf, at + 4);
        if ((flags & VerFlagWeak) != 0) return Result.AlreadyWeak;
        Array.Copy(BitConverter.GetBytes((ushort)(flags | VerFlagWeak)), 0, elf, at + 4, 2);
        // Temp file + rename, so an interrupted build never leaves a half-written library.
        string tmp = elfPath + ".weaken.tmp";
        File.WriteAllBytes(tmp, elf);
        File.Delete(elfPath);
        File.Move(tmp, elfPath);
        return Result.Patched;
    }

    /// <summary>File offset of the Elf64_Vernaux whose name is <paramref name="version"/>, or -1.</summary>
    static int FindVernaux(byte[] elf, string version)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("only little-endian ELF64 is supported");
        long shoff = BitConverter.ToInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)(shoff + (long)i * shentsize));
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
            int secOff = checked((int)BitConverter.ToInt64(elf, sh + 0x18));
            int link = (int)BitConverter.ToUInt32(elf, sh + 0x28);
            int count = (int)BitConverter.ToUInt32(elf, sh + 0x2C);
            int strSh = checked((int)(shoff + (long)link * shentsize));
            int strOff = checked((int)BitConverter.ToInt64(elf, strSh + 0x18));
            int vn = secOff;
            for (int n = 0; n < count; n++)
            {
                int cnt = BitConverter.ToUInt16(elf, vn + 2);
                int aux = vn + (int)BitConverter.ToUInt32(elf, vn + 8);
                for (int a = 0; a < cnt; a++)
                {
                    int name = strOff + (int)BitConverter.ToUInt32(elf, aux + 8);
                    int end = Array.IndexOf(elf, (byte)0, name);
                    if (Encoding.ASCII.GetString(elf, name, end - name) == version) return aux;
                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }
                int next = (int)BitConverter.ToUInt32(elf, vn + 12);
                if (next == 0) break;
                vn += next;
            }
        }
        return -1;
    }
}

#if !SPARSEMPI_NO_MSBUILD
public class WeakenGlibcxxNeed : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required] public string Library { get; set; } = "";
    public string Version { get; set; } = "GLIBCXX_3.4.32";
    public string SystemLibstdcxx { get; set; } = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";

    public override bool Execute()
    {
        if (!File.Exists(Library)) return true;
        var result = GlibcxxVersionWeakener.Weaken(Library, Version, SystemLibstdcxx);
        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, $"{Library}: {Version} need {result}");
        return true;
    }
}
#endif
