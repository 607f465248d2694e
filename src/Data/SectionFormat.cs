namespace MlNetStem.Data;

/// <summary>The on-disk layouts <see cref="SectionLoader"/> recognises.</summary>
public enum SectionFormat
{
    /// <summary>HER2ST-style folder: spots.tsv, counts.tsv.gz, he.jpg.</summary>
    Her2st,
    /// <summary>Space Ranger <c>outs/</c>: filtered_feature_bc_matrix(.h5), spatial/.</summary>
    Visium,
    /// <summary>HEST-1k folder: st/&lt;id&gt;.h5ad, wsis/&lt;id&gt;.tif, metadata.</summary>
    Hest,
    /// <summary>A single AnnData .h5ad with obsm["spatial"].</summary>
    AnnData,
}
