using MlNetStem.Data;
using MlNetStem.Imaging;
using MlNetStem.TestKit;
using MlNetStem.Transforms;
using Xunit;

namespace MlNetStem.Pipeline.Tests;

public class SlideCacheTests
{
    private static readonly MLContext Ml = SeededContext.Create(1);

    [Fact]
    public void Acquire_SharesOneOpenSlide_AndKeepsItIdleForTheNextReader()
    {
        using var folder = new TempFolder();
        string path = PatchIdentityTests.NoiseImage(folder, 40, 30, seed: 1);
        using var cache = new SlideCache();
        var first = cache.Acquire(path);
        var second = cache.Acquire(path);
        Assert.Same(first.Slide, second.Slide);
        first.Dispose();
        first.Dispose();   // a second Dispose releases nothing more
        Assert.Equal((1, 0), (cache.OpenCount, cache.IdleCount));
        second.Dispose();
        Assert.Equal((1, 1), (cache.OpenCount, cache.IdleCount));
        using var third = cache.Acquire(path);
        Assert.Same(second.Slide, third.Slide);
        Assert.Equal(0, cache.IdleCount);
    }

    [Fact]
    public void IdleSlides_AreClosed_ByClear_ByTheByteBudget_AndByTheCountLimit()
    {
        using var folder = new TempFolder();
        string a = PatchIdentityTests.NoiseImage(folder, 40, 30, seed: 1);   // 3600 bytes decoded
        string b = PatchIdentityTests.NoiseImage(folder, 40, 30, seed: 2);
        using var cache = new SlideCache(idleBudgetBytes: 5000);
        var slideA = Read(cache, a);
        var slideB = Read(cache, b);
        // Both fit no budget of 5000 bytes together: the least recently released (a) was closed.
        Assert.Equal(1, cache.IdleCount);
        Assert.Throws<ObjectDisposedException>(() => slideA.ReadRgb(0, 0, 0, 1, 1, new byte[3]));
        slideB.ReadRgb(0, 0, 0, 1, 1, new byte[3]);
        cache.Clear();
        Assert.Equal((0, 0), (cache.OpenCount, cache.IdleCount));
        Assert.Throws<ObjectDisposedException>(() => slideB.ReadRgb(0, 0, 0, 1, 1, new byte[3]));

        cache.IdleBudgetBytes = SlideCache.DefaultIdleBudgetBytes;
        cache.MaxIdleSlides = 1;
        Read(cache, a);
        Read(cache, b);
        Assert.Equal(1, cache.IdleCount);
        cache.MaxIdleSlides = 0;
        Assert.Equal(0, cache.OpenCount);
    }

    [Fact]
    public void IdleSlides_AreClosed_AfterTheIdleLifetime()
    {
        using var folder = new TempFolder();
        using var cache = new SlideCache(idleLifetime: TimeSpan.FromMilliseconds(50));
        var slide = Read(cache, PatchIdentityTests.NoiseImage(folder, 40, 30, seed: 1));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (cache.OpenCount > 0 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.Equal(0, cache.OpenCount);
        Assert.Throws<ObjectDisposedException>(() => slide.ReadRgb(0, 0, 0, 1, 1, new byte[3]));

        cache.IdleLifetime = TimeSpan.Zero;   // closes at release, as if there were no cache
        Read(cache, PatchIdentityTests.NoiseImage(folder, 40, 30, seed: 2));
        Assert.Equal(0, cache.OpenCount);
    }

    [Fact]
    public void ARewrittenFile_IsOpenedAfresh_AndTheOldVersionClosedWhenReleased()
    {
        using var folder = new TempFolder();
        string path = PatchIdentityTests.NoiseImage(folder, 40, 30, seed: 1);
        using var cache = new SlideCache();
        var old = cache.Acquire(path);
        var oldPixel = new byte[3];
        old.Slide.ReadRgb(0, 0, 0, 1, 1, oldPixel);
        string other = PatchIdentityTests.NoiseImage(folder, 50, 30, seed: 2);
        File.Copy(other, path, overwrite: true);
        using (var fresh = cache.Acquire(path))
        {
            Assert.NotSame(old.Slide, fresh.Slide);
            Assert.Equal(50, fresh.Slide.Levels[0].Width);
        }
        old.Slide.ReadRgb(0, 0, 0, 1, 1, oldPixel);   // still readable while leased
        old.Dispose();
        Assert.Throws<ObjectDisposedException>(() => old.Slide.ReadRgb(0, 0, 0, 1, 1, oldPixel));
        Assert.Equal(1, cache.OpenCount);
    }

    [Fact]
    public void FailedOpens_AreNotRemembered()
    {
        using var folder = new TempFolder();
        using var cache = new SlideCache();
        Assert.Throws<FileNotFoundException>(() => cache.Acquire(folder.File("missing.jpg")));
        string path = folder.File("he.jpg");
        File.WriteAllText(path, "not an image");
        Assert.ThrowsAny<IOException>(() => cache.Acquire(path));
        Assert.Equal(0, cache.OpenCount);
        File.Copy(PatchIdentityTests.NoiseImage(folder, 40, 30, seed: 1), path, overwrite: true);
        using var lease = cache.Acquire(path);
        Assert.Equal(40, lease.Slide.Levels[0].Width);
    }

    [Fact]
    public void ADisposedCache_RefusesNewLeases_AndClosesLeasedSlidesOnRelease()
    {
        using var folder = new TempFolder();
        string path = PatchIdentityTests.NoiseImage(folder, 40, 30, seed: 1);
        var cache = new SlideCache();
        var lease = cache.Acquire(path);
        cache.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cache.Acquire(path));
        lease.Slide.ReadRgb(0, 0, 0, 1, 1, new byte[3]);
        lease.Dispose();
        Assert.Throws<ObjectDisposedException>(() => lease.Slide.ReadRgb(0, 0, 0, 1, 1, new byte[3]));
    }

    [Fact]
    public void LoadPatches_ReadsThroughTheSharedCache_SoCursorsShareOneOpenSlide()
    {
        using var folder = new TempFolder();
        string path = PatchIdentityTests.NoiseImage(folder, 120, 100, seed: 3);
        var spots = PatchAndFeatureTests.Spots(path, 1.0, (30, 30), (60, 50), (90, 70));
        var loader = Ml.Transforms.LoadPatches("Patch", "Image", 24, 16).Fit(spots);
        float[] Pass() => loader.Transform(spots).ReadBatches(["Patch"], 2).SelectMany(b => b.GetFloats("Patch")).ToArray();
        // Held for the whole test, so the shared entry stays open whatever other tests do meanwhile.
        using var held = SlideCache.Shared.Acquire(path);
        var first = Pass();
        // New pixels, same length and modification time: only a cursor that opens the file itself sees them.
        var written = File.GetLastWriteTimeUtc(path);
        File.Copy(PatchIdentityTests.NoiseImage(folder, 120, 100, seed: 4), path, overwrite: true);
        File.SetLastWriteTimeUtc(path, written);
        Assert.Equal(first, Pass());
        using (var fresh = VipsImage.Open(path))
        {
            var reopened = new float[3 * 16 * 16];
            PatchSampler.Read(fresh, 30, 30, 24, 16, reopened);
            Assert.NotEqual(first[..reopened.Length], reopened);
        }
    }

    private static ISlide Read(SlideCache cache, string path)
    {
        using var lease = cache.Acquire(path);
        lease.Slide.ReadRgb(0, 0, 0, 1, 1, new byte[3]);
        return lease.Slide;
    }
}
