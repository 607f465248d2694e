namespace MlNetStem.Catalogs;

/// <summary>Data transforms; each transform assembly adds extension methods (SelectGenes, LoadPatches, ...).</summary>
public sealed class TransformsCatalog(StemContext context) : CatalogBase(context);
