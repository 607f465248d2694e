using System.Runtime.InteropServices;
using MlNetStem.Hdf5.Interop;

namespace MlNetStem.Hdf5;

/// <summary>An open HDF5 file; it is also its root group ("/").</summary>
/// <example>
/// <code>
/// using var file = Hdf5File.Open("data.h5", readOnly: true);
/// using var ds = file.OpenDataset("X/data");
/// float[] first = ds.ReadRows&lt;float&gt;(0, 100);
/// </code>
/// </example>
public sealed class Hdf5File : Hdf5Group
{
    private Hdf5File(H5Handle handle, string filePath, bool readOnly, bool inMemory = false) : base(handle, "/")
    {
        FilePath = filePath;
        IsReadOnly = readOnly;
        IsInMemory = inMemory;
    }

    /// <summary>True for a file made by <see cref="CreateInMemory"/>: it lives in memory only, never on disk.</summary>
    public bool IsInMemory { get; }

    /// <summary>The file's path on disk.</summary>
    public string FilePath { get; }

    /// <summary>True when opened read-only.</summary>
    public bool IsReadOnly { get; }

    /// <summary>Opens an existing HDF5 file.</summary>
    /// <param name="path">File path.</param>
    /// <param name="readOnly">Open read-only (default) or read-write.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="Hdf5Exception">
    /// Not an HDF5 file, truncated or otherwise unreadable (native message included), or its global heap is corrupt in a way
    /// that would make libhdf5 loop forever (checked before the native library reads it).
    /// </exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Hdf5File Open(string path, bool readOnly = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"HDF5 file '{full}' does not exist.", full);
        GlobalHeapCheck.ThrowIfDamaged(full);
        Hdf5Library.EnsureInitialized();
        lock (Hdf5Library.Sync)
        {
            int isHdf5 = H5Native.H5Fis_hdf5(full);
            // H5Fis_hdf5 itself fails (rather than answering "no") on some damaged files: say so, not just the native text.
            if (isHdf5 < 0) throw Hdf5Library.Failure("H5Fis_hdf5", full, "the file is damaged or truncated");
            if (isHdf5 == 0)
                throw new Hdf5Exception($"'{full}' is not an HDF5 file (no HDF5 signature found).", "open file", full);
            long fapl = StrongCloseAccessList(full);
            long id = H5Native.H5Fopen(full, readOnly ? H5Native.H5F_ACC_RDONLY : H5Native.H5F_ACC_RDWR, fapl);
            H5Native.H5Pclose(fapl);
            if (id < 0) throw Hdf5Library.Failure("H5Fopen", full, "the file is damaged or truncated, or cannot be opened in this mode");
            return new Hdf5File(H5Handle.Wrap(id, H5HandleKind.File, "H5Fopen", full), full, readOnly);
        }
    }

    /// <summary>Creates (or truncates) an HDF5 file for writing.</summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="Hdf5Exception">The native create failed.</exception>
    public static Hdf5File Create(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = System.IO.Path.GetFullPath(path);
        string? dir = System.IO.Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir)) throw new DirectoryNotFoundException($"Directory '{dir}' does not exist.");
        Hdf5Library.EnsureInitialized();
        lock (Hdf5Library.Sync)
        {
            long fapl = StrongCloseAccessList(full);
            long id = H5Native.H5Fcreate(full, H5Native.H5F_ACC_TRUNC, H5Native.H5P_DEFAULT, fapl);
            H5Native.H5Pclose(fapl);
            return new Hdf5File(H5Handle.Wrap(id, H5HandleKind.File, "H5Fcreate", full), full, readOnly: false);
        }
    }

    /// <summary>
    /// Creates an HDF5 file that lives in memory only (the core driver without a backing store): nothing is written to
    /// disk, so no native call on it can fail for lack of disk space. Save it with <see cref="WriteImageTo"/>.
    /// </summary>
    /// <param name="name">A name for messages; no file of that name is created or read.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    /// <exception cref="Hdf5Exception">The native create failed.</exception>
    /// <remarks>
    /// Why: a file written by HDF5 itself (1.10) whose final flush fails — a full disk, a file size limit — cannot be closed
    /// safely: H5Fclose frees the file but keeps its id, and the library's exit handler then closes it again (SIGSEGV at
    /// process exit). Writing the image with managed I/O turns such a failure into an ordinary <see cref="IOException"/>.
    /// </remarks>
    public static Hdf5File CreateInMemory(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Hdf5Library.EnsureInitialized();
        lock (Hdf5Library.Sync)
        {
            long fapl = StrongCloseAccessList(name);
            if (H5Native.H5Pset_fapl_core(fapl, 1 << 20, 0) < 0)
            {
                Hdf5Exception failure = Hdf5Library.Failure("H5Pset_fapl_core", name);
                H5Native.H5Pclose(fapl);
                throw failure;
            }
            long id = H5Native.H5Fcreate(name, H5Native.H5F_ACC_TRUNC, H5Native.H5P_DEFAULT, fapl);
            H5Native.H5Pclose(fapl);
            return new Hdf5File(H5Handle.Wrap(id, H5HandleKind.File, "H5Fcreate(in memory)", name), name, readOnly: false, inMemory: true);
        }
    }

    /// <summary>
    /// Writes the file's current contents (a complete HDF5 file image, flushed first) to <paramref name="destination"/>.
    /// Meant for <see cref="CreateInMemory"/> files; the image is copied out under the library lock and written outside it.
    /// </summary>
    /// <exception cref="Hdf5Exception">The native flush or copy failed.</exception>
    /// <exception cref="IOException">Writing to <paramref name="destination"/> failed (e.g. no space left on the device).</exception>
    public unsafe void WriteImageTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        byte* buffer = null;
        try
        {
            long size;
            lock (Hdf5Library.Sync)
            {
                // The image is what the driver holds: flush the metadata cache into it first.
                Hdf5Library.Check(H5Native.H5Fflush(Id, 1), "H5Fflush", FilePath);
                nint n = H5Native.H5Fget_file_image(Id, null, 0);
                if (n < 0) throw Hdf5Library.Failure("H5Fget_file_image", FilePath);
                size = n;
                buffer = (byte*)NativeMemory.Alloc((nuint)Math.Max(1, n));
                if (H5Native.H5Fget_file_image(Id, buffer, (nuint)n) < 0) throw Hdf5Library.Failure("H5Fget_file_image", FilePath);
            }
            const int chunk = 1 << 24;
            for (long offset = 0; offset < size; offset += chunk)
                destination.Write(new ReadOnlySpan<byte>(buffer + offset, (int)Math.Min(chunk, size - offset)));
        }
        finally
        {
            if (buffer is not null) NativeMemory.Free(buffer);
        }
    }

    /// <summary>
    /// File access properties with the strong close degree: disposing an <see cref="Hdf5File"/> closes the file descriptor
    /// (and its lock) at once, even if an object of the file is still waiting for its finalizer. With HDF5's default weak
    /// degree such an object kept the file open, and a later open of the same path (H5Fis_hdf5 opens its own descriptor)
    /// failed at random with "unable to lock the file, errno = 11". Hold the lock.
    /// </summary>
    private static long StrongCloseAccessList(string path)
    {
        long fapl = H5Native.H5Pcreate(Hdf5Library.FileAccessClass);
        if (fapl < 0) throw Hdf5Library.Failure("H5Pcreate(file access)", path);
        if (H5Native.H5Pset_fclose_degree(fapl, H5Native.H5F_CLOSE_STRONG) < 0)
        {
            H5Native.H5Pclose(fapl);
            throw Hdf5Library.Failure("H5Pset_fclose_degree", path);
        }
        return fapl;
    }

    /// <summary>True when the file at <paramref name="path"/> exists and carries the HDF5 signature.</summary>
    public static bool IsHdf5(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) return false;
        Hdf5Library.EnsureInitialized();
        lock (Hdf5Library.Sync)
        {
            int r = H5Native.H5Fis_hdf5(System.IO.Path.GetFullPath(path));
            if (r < 0) H5Native.H5Eclear2(H5Native.H5E_DEFAULT);
            return r > 0;
        }
    }

    /// <summary>Flushes buffered data to disk.</summary>
    /// <exception cref="Hdf5Exception">The native flush failed.</exception>
    public void Flush()
    {
        lock (Hdf5Library.Sync)
        {
            Hdf5Library.Check(H5Native.H5Fflush(Id, 1), "H5Fflush", FilePath);
        }
    }
}
