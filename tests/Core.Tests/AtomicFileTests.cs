using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Core.Tests;

/// <summary>Temporary files left beside a target by killed writes are removed by the next successful write; live ones are not.</summary>
public class AtomicFileTests
{
    [Fact]
    public void SuccessfulWrite_RemovesStaleTemporaries_KeepsFreshLockedAndUnrelatedOnes()
    {
        using var folder = new TempFolder();
        string target = folder.File("p.csv");
        string Temp() => folder.File($".p.csv.{Guid.NewGuid():N}.tmp");
        string old = Temp(), unlocked = Temp(), fresh = Temp(), locked = Temp();
        string other = folder.File($".q.csv.{Guid.NewGuid():N}.tmp"), odd = folder.File(".p.csv.notaguid.tmp");
        foreach (var f in new[] { old, unlocked, fresh, locked, other, odd }) File.WriteAllText(f, "partial");
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddHours(-2));
        File.SetLastWriteTimeUtc(unlocked, DateTime.UtcNow.AddMinutes(-5));
        File.SetLastWriteTimeUtc(locked, DateTime.UtcNow.AddMinutes(-5));
        File.SetLastWriteTimeUtc(other, DateTime.UtcNow.AddHours(-2));
        File.SetLastWriteTimeUtc(odd, DateTime.UtcNow.AddHours(-2));
        using (new FileStream(locked, FileMode.Open, FileAccess.Write, FileShare.None))   // a write in progress elsewhere
            AtomicFile.WriteAllText(target, "done");
        Assert.Equal("done", File.ReadAllText(target));
        Assert.False(File.Exists(old), "a temporary file two hours old is stale");
        Assert.False(File.Exists(unlocked), "an unlocked temporary file five minutes old is stale");
        Assert.True(File.Exists(fresh), "a fresh temporary file may belong to a write in progress");
        Assert.True(File.Exists(locked), "a locked temporary file belongs to a write in progress");
        Assert.True(File.Exists(other), "another target's temporary file is not ours");
        Assert.True(File.Exists(odd), "a name that is not ours is left alone");
    }
}
