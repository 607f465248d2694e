namespace MlNetStem.Catalogs;

/// <summary>Common base of the catalogs: gives extension methods access to the context.</summary>
public abstract class CatalogBase
{
    /// <summary>Creates the catalog for <paramref name="context"/>.</summary>
    protected CatalogBase(StemContext context) => Context = context;

    /// <summary>The owning context (seed, progress).</summary>
    public StemContext Context { get; }
}
