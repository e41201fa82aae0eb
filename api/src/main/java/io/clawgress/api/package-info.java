/**
 * Value types and SPIs shared by the data path ({@code tproxy}) and policy ({@code enforcement}).
 *
 * <p>The two modules meet only through these types; {@code appliance} wires concrete classes together.
 */
package io.clawgress.api;
