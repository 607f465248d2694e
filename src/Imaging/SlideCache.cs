namespace MlNetStem.Imaging;

/// <summary>
/// Open slides shared by every reader in the process, so that one image is opened (and, for
/// JPEG/PNG, decoded whole into memory) once rather than once per cursor. Microsoft.ML consumers
/// open many cursors over one view (Fit then Transform, each estimator's Fit, each epoch, each
/// pass of a benchmark), and a 9911×9274 HER2ST JPEG costs 0.2–0.35 s and 276 MB to decode.
/// <para>
/// Readers hold a <see cref="SlideLease"/> while they read; a slide no lease holds is kept
/// <em>idle</em> for reuse, least recently released first out, while the idle slides' decoded
/// pixels fit <see cref="IdleBudgetBytes"/>, there are at most <see cref="MaxIdleSlides"/> of them,
/// and each has been idle less than <see cref="IdleLifetime"/>. A file rewritten on disk (other
/// length or modification time) is opened afresh. Thread-safe.
/// </para>
/// </summary>
public sealed class SlideCache : IDisposable
{
    /// <summary>Default <see cref="IdleBudgetBytes"/>: 1 GiB (three or four decoded HER2ST images).</summary>
    public const long DefaultIdleBudgetBytes = 1L << 30;

    /// <summary>Default <see cref="MaxIdleSlides"/>.</summary>
    public const int DefaultMaxIdleSlides = 8;

    /// <summary>Default <see cref="IdleLifetime"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultIdleLifetime = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private readonly Dictionary<Key, Entry> _entries = new();
    private readonly LinkedList<Entry> _idle = new();   // least recently released first
    private readonly Timer _sweeper;
    private long _idleBytes;
    private long _idleBudgetBytes;
    private int _maxIdleSlides;
    private TimeSpan _idleLifetime;
    private bool _sweepPending;
    private bool _disposed;

    /// <summary>The cache <c>LoadPatches</c> and <c>FilterBackgroundSpots</c> read slides through.</summary>
    public static SlideCache Shared { get; } = new();

    /// <summary>Creates a cache (most code uses <see cref="Shared"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative limit.</exception>
    public SlideCache(long idleBudgetBytes = DefaultIdleBudgetBytes, int maxIdleSlides = DefaultMaxIdleSlides, TimeSpan? idleLifetime = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(idleBudgetBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(maxIdleSlides);
        var lifetime = idleLifetime ?? DefaultIdleLifetime;
        ArgumentOutOfRangeException.ThrowIfLessThan(lifetime, TimeSpan.Zero, nameof(idleLifetime));
        _idleBudgetBytes = idleBudgetBytes;
        _maxIdleSlides = maxIdleSlides;
        _idleLifetime = lifetime;
        _sweeper = new Timer(_ => Sweep(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>
    /// Most bytes of decoded pixels that idle slides may keep (JPEG/PNG decoded in memory; tiled
    /// TIFF levels and OpenSlide slides are read on demand and count as none). 0 closes every slide
    /// as soon as its last lease is released.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative value.</exception>
    public long IdleBudgetBytes
    {
        get { lock (_gate) return _idleBudgetBytes; }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Reconfigure(() => _idleBudgetBytes = value);
        }
    }

    /// <summary>Most slides kept open while no lease holds them (bounds file handles and OpenSlide's caches).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative value.</exception>
    public int MaxIdleSlides
    {
        get { lock (_gate) return _maxIdleSlides; }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Reconfigure(() => _maxIdleSlides = value);
        }
    }

    /// <summary>How long a slide no lease holds stays open; <see cref="TimeSpan.Zero"/> closes it at once.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative value.</exception>
    public TimeSpan IdleLifetime
    {
        get { lock (_gate) return _idleLifetime; }
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Reconfigure(() => _idleLifetime = value);
        }
    }

    /// <summary>Slides open now, held by leases or idle.</summary>
    public int OpenCount
    {
        get { lock (_gate) return _entries.Count; }
    }

    /// <summary>True when a slide of the file at <paramref name="path"/> is open now, held by a lease or idle (a slide that failed to decode never is).</summary>
    public bool IsOpen(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = System.IO.Path.GetFullPath(path);
        lock (_gate) return _entries.Keys.Any(k => k.Path == full);
    }

    /// <summary>Slides open now that no lease holds.</summary>
    public int IdleCount
    {
        get { lock (_gate) return _idle.Count; }
    }

    /// <summary>
    /// Opens <paramref name="path"/> through <see cref="SlideOpener.Open"/>, or shares the slide
    /// already open for the same file, reader, length and modification time. Dispose the lease
    /// when done reading; the slide must not be disposed directly.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">Unsupported or corrupt file (see <see cref="SlideOpener.Open"/>).</exception>
    /// <exception cref="NotSupportedException">A pixel format the libvips route does not handle.</exception>
    /// <exception cref="InvalidDataException">An image decoded whole into memory larger than <see cref="SlideLimits.MaxDecodedMegapixels"/> (refused before decoding).</exception>
    /// <exception cref="ObjectDisposedException">The cache was disposed.</exception>
    public SlideLease Acquire(string path, SlideReader reader = SlideReader.Auto)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var file = new FileInfo(path);
        if (!file.Exists) throw new FileNotFoundException($"Slide '{path}' does not exist.", path);
        var key = new Key(file.FullName, reader, file.Length, file.LastWriteTimeUtc);
        Entry entry;
        List<Entry>? stale = null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_entries.TryGetValue(key, out entry!))
            {
                // Another version of the file (rewritten since it was opened) is never read again.
                foreach (var other in _entries.Values.Where(e => e.Key.Path == key.Path && e.Key.Reader == reader).ToArray())
                {
                    RemoveLocked(other);
                    if (other.Refs == 0) (stale ??= new()).Add(other);
                }
                string opened = path;
                entry = new Entry(key, new Lazy<ISlide>(() => SlideOpener.Open(opened, reader), LazyThreadSafetyMode.ExecutionAndPublication));
                _entries[key] = entry;
            }
            else if (entry.IdleNode is { } node)
            {
                _idle.Remove(node);
                _idleBytes -= entry.Bytes;
                entry.IdleNode = null;
            }
            entry.Refs++;
        }
        Close(stale);
        try
        {
            return new SlideLease(this, entry, entry.Slide.Value);
        }
        catch
        {
            // A failed open is not remembered: the next reader tries again.
            lock (_gate)
            {
                entry.Refs--;
                RemoveLocked(entry);
            }
            throw;
        }
    }

    /// <summary>Closes every idle slide now; slides held by leases close when their last lease is released.</summary>
    public void Clear()
    {
        List<Entry> closing;
        lock (_gate) closing = TrimLocked(all: true);
        Close(closing);
    }

    /// <summary>Closes the idle slides and stops keeping any; slides still leased close on release.</summary>
    public void Dispose()
    {
        lock (_gate) _disposed = true;
        Clear();
        _sweeper.Dispose();
    }

    /// <summary>Forgets <paramref name="entry"/> (its slide failed to decode): no later reader gets it; it closes on its last release.</summary>
    internal void Invalidate(Entry entry)
    {
        lock (_gate) RemoveLocked(entry);
    }

    internal void Release(Entry entry)
    {
        List<Entry>? closing = null;
        lock (_gate)
        {
            if (--entry.Refs > 0) return;
            if (entry.Removed || _disposed)
            {
                RemoveLocked(entry);
                closing = [entry];
            }
            else
            {
                entry.Bytes = entry.Slide.IsValueCreated ? DecodedBytes(entry.Slide.Value) : 0;
                entry.IdleSince = Environment.TickCount64;
                entry.IdleNode = _idle.AddLast(entry);
                _idleBytes += entry.Bytes;
                closing = TrimLocked(all: false);
                ScheduleSweepLocked();
            }
        }
        Close(closing);
    }

    private void Reconfigure(Action change)
    {
        List<Entry> closing;
        lock (_gate)
        {
            change();
            closing = TrimLocked(all: false);
            ScheduleSweepLocked();
        }
        Close(closing);
    }

    private void Sweep()
    {
        List<Entry> closing;
        lock (_gate)
        {
            _sweepPending = false;
            closing = TrimLocked(all: false);
            ScheduleSweepLocked();
        }
        Close(closing);
    }

    /// <summary>Removes idle entries, oldest first, until the limits hold (or all of them).</summary>
    private List<Entry> TrimLocked(bool all)
    {
        var closing = new List<Entry>();
        long now = Environment.TickCount64;
        while (_idle.First is { } oldest && (all || _idleBytes > _idleBudgetBytes || _idle.Count > _maxIdleSlides
                   || now - oldest.Value.IdleSince >= LifetimeMillisecondsLocked))
        {
            RemoveLocked(oldest.Value);
            closing.Add(oldest.Value);
        }
        return closing;
    }

    private void RemoveLocked(Entry entry)
    {
        entry.Removed = true;
        if (_entries.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry)) _entries.Remove(entry.Key);
        if (entry.IdleNode is { } node)
        {
            _idle.Remove(node);
            _idleBytes -= entry.Bytes;
            entry.IdleNode = null;
        }
    }

    /// <summary>The idle lifetime in milliseconds, capped where a timer can still wait for it (about 49 days).</summary>
    private long LifetimeMillisecondsLocked => (long)Math.Min(_idleLifetime.TotalMilliseconds, uint.MaxValue - 2.0);

    private void ScheduleSweepLocked()
    {
        if (_sweepPending || _disposed || _idle.First is not { } oldest) return;
        long due = Math.Max(0, oldest.Value.IdleSince + LifetimeMillisecondsLocked - Environment.TickCount64);
        _sweepPending = true;
        _sweeper.Change(Math.Min(due + 1, uint.MaxValue - 2L), Timeout.Infinite);
    }

    private static void Close(List<Entry>? entries)
    {
        if (entries is null) return;
        foreach (var e in entries)
            if (e.Slide.IsValueCreated) e.Slide.Value.Dispose();
    }

    /// <summary>Pixels a slide holds decoded in memory (JPEG/PNG through libvips); 0 for slides read on demand.</summary>
    internal static long DecodedBytes(ISlide slide) => slide switch
    {
        VipsImage image => image.DecodedBytes,
        VipsSlide pyramid => pyramid.DecodedBytes,
        _ => 0,
    };

    internal readonly record struct Key(string Path, SlideReader Reader, long Length, DateTime LastWriteUtc);

    internal sealed class Entry(Key key, Lazy<ISlide> slide)
    {
        public Key Key { get; } = key;
        public Lazy<ISlide> Slide { get; } = slide;
        public int Refs { get; set; }
        public long Bytes { get; set; }
        public long IdleSince { get; set; }
        public LinkedListNode<Entry>? IdleNode { get; set; }
        public bool Removed { get; set; }
    }
}

/// <summary>
/// A reader's hold on a slide of a <see cref="SlideCache"/>. Read <see cref="Slide"/> (from any
/// thread) until the lease is disposed; never dispose the slide itself.
/// </summary>
public sealed class SlideLease : IDisposable
{
    private readonly SlideCache _cache;
    private readonly SlideCache.Entry _entry;
    private int _released;

    internal SlideLease(SlideCache cache, SlideCache.Entry entry, ISlide slide)
    {
        _cache = cache;
        _entry = entry;
        Slide = slide;
    }

    /// <summary>Releases a lease its holder dropped without disposing (an abandoned cursor).</summary>
    ~SlideLease() => Release();

    /// <summary>The open slide.</summary>
    public ISlide Slide { get; }

    /// <summary>Releases the hold; the slide stays open while other leases hold it or it is kept idle.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Marks the slide as broken (it failed to decode: a truncated or corrupt file): the cache forgets it at once, so
    /// the next reader opens the file afresh instead of sharing a failed image, and closes it when its last lease is released.
    /// </summary>
    public void Invalidate() => _cache.Invalidate(_entry);

    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) _cache.Release(_entry);
    }
}
