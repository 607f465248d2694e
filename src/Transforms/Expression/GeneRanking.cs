namespace MlNetStem.Transforms.Expression;

/// <summary>How <see cref="SelectGenesEstimator"/> ranks genes on the training data.</summary>
public enum GeneRanking
{
    /// <summary>Highest mean raw count.</summary>
    HighlyExpressed,
    /// <summary>Highest variance of log1p counts among genes detected in at least 10% of spots.</summary>
    HighlyVariable,
    /// <summary>A quick stand-in for Stem's panel: the 2k most expressed genes, then the k most variable of those.</summary>
    ExpressedThenVariable,
    /// <summary>
    /// Stem's released recipe. For each training section separately (the
    /// <see cref="SelectGenesOptions.SectionColumn"/>; all spots form one section when the column is absent): scanpy's
    /// <c>normalize_total</c> (each spot scaled to the median total count of the section's non-empty spots), <c>log1p</c>
    /// and <c>highly_variable_genes(n_top_genes=2000, flavor="seurat")</c>. The union of the sections' highly variable
    /// genes, less those whose names start with <c>MT-</c>, <c>RPS</c> or <c>RPL</c> (ignoring case, so mouse
    /// <c>mt-</c> too), is then ranked over all training spots by mean and by standard deviation of the raw counts, and
    /// the panel is the genes in both the top k by mean and the top k by standard deviation. Stem fixes k, which leaves
    /// fewer than k genes; here k grows from the panel size until the intersection holds the panel size (if two genes
    /// enter at the same k and only one fits, the one with the higher mean). When fewer genes than the panel size
    /// survive the highly variable and mitochondrial/ribosomal steps, the panel is all of them, so it is smaller than
    /// asked. Genes are listed by decreasing mean raw count, ties by name.
    /// </summary>
    StemHighlyVariable,
}
