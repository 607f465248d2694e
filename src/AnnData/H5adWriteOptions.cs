namespace MlNetStem.AnnData;

/// <summary>Options of <see cref="H5adWriter"/>.</summary>
/// <param name="CompressionLevel">gzip level 1–9 for matrices and obsm arrays; 0 (default) writes uncompressed, which reads fastest.</param>
public sealed record H5adWriteOptions(int CompressionLevel = 0);
